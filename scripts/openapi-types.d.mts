// Types of scripts/openapi-types.mjs, for the test that checks the committed SDK types are fresh.
/** sdk/openapi/, where the generated files live. */
export const typesDir: string;
/** Every generated file: its name in `typesDir` → its text. */
export function renderOpenApiTypes(doc: unknown): Promise<Map<string, string>>;
