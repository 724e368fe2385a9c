// `npm run sdk:generate`: regenerates sdk/openapi/ from the OpenAPI document the app
// serves. Starts the Worker under `wrangler dev` (offline, throwaway state), as lint-openapi does.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { freePort, root, startWrangler } from "./hub.mjs";
import { renderOpenApiTypes, typesDir } from "./openapi-types.mjs";

const dir = mkdtempSync(join(tmpdir(), "umbra-sdk-generate-"));
let status = 1;
try {
  const hub = await startWrangler({ port: await freePort(), persistTo: join(dir, "state") });
  let doc;
  try {
    const r = await fetch(`${hub.url}/openapi.json`);
    if (!r.ok) throw new Error(`/openapi.json answered ${r.status}`);
    doc = await r.json();
  } finally {
    await hub.stop();
  }
  const files = await renderOpenApiTypes(doc);
  rmSync(typesDir, { recursive: true, force: true });
  mkdirSync(typesDir, { recursive: true });
  for (const [name, text] of files) writeFileSync(join(typesDir, name), text);
  console.log(`wrote ${files.size} files in ${relative(root, typesDir)}`);
  status = 0;
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
