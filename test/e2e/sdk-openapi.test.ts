/** The SDK's committed REST types match what the running hub's /openapi.json generates. */
import { describe, expect, it } from "vitest";
import { readFileSync } from "node:fs";
import { renderOpenApiTypes, typesFile } from "../../scripts/openapi-types.mjs";
import { hubUrl } from "./client";

describe("sdk/openapi-types.ts", () => {
  it("is what `npm run sdk:generate` makes of the hub's OpenAPI document today", async () => {
    const r = await fetch(`${hubUrl()}/openapi.json`);
    expect(r.status).toBe(200);
    const fresh = await renderOpenApiTypes(await r.json());
    const committed = readFileSync(typesFile, "utf8");
    const a = fresh.split("\n");
    const b = committed.split("\n");
    const line = a.findIndex((l, i) => l !== b[i]);
    const where = line < 0 ? (a.length === b.length ? "" : `length ${b.length} vs ${a.length}`) : `line ${line + 1}: ${JSON.stringify(b[line])} should be ${JSON.stringify(a[line])}`;
    expect(where, "sdk/openapi-types.ts is stale: run `npm run sdk:generate` and commit it").toBe("");
  });
});
