// Types of scripts/openapi-types.mjs, for the test that checks the committed SDK types are fresh.
export const typesFile: string;
export function renderOpenApiTypes(doc: unknown): Promise<string>;
