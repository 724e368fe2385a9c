// The SDK's REST types (sdk/openapi/) rendered from the hub's OpenAPI document with
// openapi-typescript. Shared by `npm run sdk:generate` (writes the files) and the test that fails
// when the committed files are stale (compares).
//
// openapi-typescript makes one file of three interfaces (`paths`, `operations`, `components`),
// about 8,000 lines. We keep its types and split them by resource: one file per resource holds its
// paths and their operations (a resource over MAX_LINES goes on in a numbered file), the index
// joins them back (`interface paths extends DevicesPaths, …`), and `components` keeps its schemas
// in files of at most MAX_LINES too. Same types for openapi-fetch, small files for people.
import openapiTS, { astToString } from "openapi-typescript";
import ts from "typescript";
import { join } from "node:path";
import { root } from "./hub.mjs";

/** Where the generated types live. */
export const typesDir = join(root, "sdk", "openapi");

/** The longest file we write (the house limit). */
const MAX_LINES = 400;

const header = `/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run \`npm run sdk:generate\` after changing a route (a test fails while this is stale).
 */
`;

const f = ts.factory;

/**
 * Renders the TypeScript types of an OpenAPI document as files.
 * @param {{ paths: Record<string, Record<string, unknown>> }} doc the parsed /openapi.json
 * @returns {Promise<Map<string, string>>} file name in `typesDir` → its text
 */
export async function renderOpenApiTypes(doc) {
  // A copy: openapi-typescript annotates the object it is given. emptyObjectsUnknown: a schema
  // that is just `type: object` (a shadow's free-form `state`) is any object, not an empty one.
  const ast = await openapiTS(structuredClone(doc), { alphabetize: false, exportType: false, emptyObjectsUnknown: true });
  const files = new Map();
  const parts = [...resourceFiles(doc, ast, files)];
  renderComponents(interfaceOf(ast, "components"), files);
  files.set("index.ts", renderIndex(parts));
  return files;
}

/**
 * Writes one file per resource (its paths and their operations) into `files`.
 * @returns {Generator<{ file: string, name: string }>} each file and its interfaces' prefix
 */
function* resourceFiles(doc, ast, files) {
  const ops = new Map(interfaceOf(ast, "operations").members.map((m) => [nameOf(m), m]));
  const groups = new Map();
  for (const member of interfaceOf(ast, "paths").members) {
    const path = nameOf(member);
    const item = doc.paths[path] ?? {};
    const opIds = Object.values(item).flatMap((op) => (op && typeof op === "object" && "operationId" in op ? [op.operationId] : []));
    const unit = { paths: [member], ops: opIds.map((id) => take(ops, id)) };
    const key = resourceOf(path);
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key).push(unit);
  }
  if (ops.size > 0) throw new Error(`operations under no path: ${[...ops.keys()].join(", ")}`);
  for (const [key, units] of groups) {
    const chunks = pack(units, (chunk) => renderResource(pascal(key), chunk));
    for (const [i, chunk] of chunks.entries()) {
      const base = chunks.length > 1 ? `${key}-${i + 1}` : key;
      const name = pascal(base);
      files.set(`${base}.ts`, renderResource(name, chunk));
      yield { file: base, name };
    }
  }
}

/** One resource file: `export interface <name>Paths` and `export interface <name>Operations` (`name` in PascalCase). */
function renderResource(name, units) {
  const body = astToString([
    exported(`${name}Paths`, units.flatMap((u) => u.paths)),
    exported(`${name}Operations`, units.flatMap((u) => u.ops)),
  ]);
  return header + importsOf(body, ["components", "operations"], "./index") + body;
}

/** `components`, its schemas in files of at most MAX_LINES when they do not fit in one. */
function renderComponents(components, files) {
  const whole = astToString([components]);
  if (lines(header + whole) <= MAX_LINES) {
    files.set("components.ts", header + whole);
    return;
  }
  const schemas = components.members.find((m) => nameOf(m) === "schemas");
  const units = schemas.type.members.map((m) => ({ members: [m] }));
  const render = (chunk, name = "Schemas") => {
    const body = astToString([exported(name, chunk.flatMap((u) => u.members))]);
    return header + importsOf(body, ["components"], "./components") + body;
  };
  const chunks = pack(units, render);
  const names = chunks.map((chunk, i) => {
    const name = `Schemas${i + 1}`;
    files.set(`schemas-${i + 1}.ts`, render(chunk, name));
    return name;
  });
  const members = components.members.map((m) =>
    m === schemas ? f.updatePropertySignature(m, m.modifiers, m.name, m.questionToken, f.createTypeReferenceNode("Schemas")) : m,
  );
  const imports = names.map((n, i) => `import type { ${n} } from "./schemas-${i + 1}";\n`).join("");
  const joined = `interface Schemas extends ${names.join(", ")} {}\n`;
  files.set("components.ts", header + imports + "\n" + astToString([exported("components", members)]) + joined);
}

/** The index: the three interfaces openapi-typescript makes, joined from the files. */
function renderIndex(parts) {
  const imports = parts.map((p) => `import type { ${p.name}Operations, ${p.name}Paths } from "./${p.file}";\n`).join("");
  const list = (suffix) => parts.map((p) => `    ${p.name}${suffix}`).join(",\n");
  return (
    header +
    imports +
    `\nexport type { components } from "./components";\n` +
    `export interface paths extends\n${list("Paths")} {}\n` +
    `export interface operations extends\n${list("Operations")} {}\n` +
    `export type webhooks = Record<string, never>;\n` +
    `export type $defs = Record<string, never>;\n`
  );
}

/**
 * The file a path's types go in: its first segment, and the sub-resource of an item if any
 * (`/v1/devices/{id}/shadow/history` → `devices-shadow`, `/.well-known/coap` → `well-known`).
 */
function resourceOf(path) {
  const segs = path.split("/").filter((s) => s && s !== "v1");
  const sub = segs[1]?.startsWith("{") && segs[2] && !segs[2].startsWith("{") ? [segs[2]] : [];
  return [segs[0], ...sub].join("-").replace(/[^a-z0-9-]+/gi, "-").replace(/^-+|-+$/g, "");
}

/** Splits units into runs whose rendering fits in MAX_LINES (a single unit always makes a run). */
function pack(units, render) {
  const chunks = [];
  let run = [];
  for (const unit of units) {
    if (run.length > 0 && lines(render([...run, unit])) > MAX_LINES) {
      chunks.push(run);
      run = [];
    }
    run.push(unit);
  }
  if (run.length > 0) chunks.push(run);
  return chunks;
}

function interfaceOf(ast, name) {
  const node = ast.find((n) => ts.isInterfaceDeclaration(n) && n.name.text === name);
  if (!node) throw new Error(`openapi-typescript made no interface ${name}`);
  return node;
}

function exported(name, members) {
  return f.createInterfaceDeclaration([f.createModifier(ts.SyntaxKind.ExportKeyword)], name, undefined, undefined, members);
}

/** `import type { … } from` for each of `names` the body refers to as `name[…]`. */
function importsOf(body, names, from) {
  const used = names.filter((n) => new RegExp(`\\b${n}\\[`).test(body));
  return used.length > 0 ? `import type { ${used.join(", ")} } from "${from}";\n\n` : "";
}

function take(map, key) {
  const value = map.get(key);
  if (!value) throw new Error(`no operation ${key}`);
  map.delete(key);
  return value;
}

function nameOf(member) {
  return member.name.text;
}

function pascal(s) {
  return s.replace(/(^|-)([a-z0-9])/gi, (_, __, c) => c.toUpperCase());
}

function lines(text) {
  return text.split("\n").length;
}
