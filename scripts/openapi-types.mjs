// The SDK's REST types (sdk/openapi-types.ts) rendered from the hub's OpenAPI document with
// openapi-typescript. Shared by `npm run sdk:generate` (writes the file) and the test that fails
// when the committed file is stale (compares).
import openapiTS, { astToString } from "openapi-typescript";
import { join } from "node:path";
import { root } from "./hub.mjs";

/** Where the generated types live. */
export const typesFile = join(root, "sdk", "openapi-types.ts");

const header = `/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run \`npm run sdk:generate\` after changing a route (a test fails while this is stale).
 */
`;

/**
 * Renders the TypeScript types of an OpenAPI document.
 * @param {unknown} doc the parsed /openapi.json
 * @returns {Promise<string>}
 */
export async function renderOpenApiTypes(doc) {
  // A copy: openapi-typescript annotates the object it is given. emptyObjectsUnknown: a schema
  // that is just `type: object` (a shadow's free-form `state`) is any object, not an empty one.
  const ast = await openapiTS(structuredClone(doc), { alphabetize: false, exportType: false, emptyObjectsUnknown: true });
  return header + astToString(ast);
}
