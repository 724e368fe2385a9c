/** The SDK's committed REST types match what the running hub's /openapi.json generates. */
import { describe, expect, it } from "vitest";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { renderOpenApiTypes, typesDir } from "../../scripts/openapi-types.mjs";
import { hubUrl } from "./client";

describe("sdk/openapi/", () => {
  it("is what `npm run sdk:generate` makes of the hub's OpenAPI document today, file by file", async () => {
    const r = await fetch(`${hubUrl()}/openapi.json`);
    expect(r.status).toBe(200);
    const fresh = await renderOpenApiTypes(await r.json());
    const stale = "sdk/openapi/ is stale: run `npm run sdk:generate` and commit it";
    expect(readdirSync(typesDir).sort(), stale).toEqual([...fresh.keys()].sort());
    for (const [name, text] of fresh) {
      const a = text.split("\n");
      const b = readFileSync(join(typesDir, name), "utf8").split("\n");
      const line = a.findIndex((l, i) => l !== b[i]);
      const where = line < 0 ? (a.length === b.length ? "" : `length ${b.length} vs ${a.length}`) : `line ${line + 1}: ${JSON.stringify(b[line])} should be ${JSON.stringify(a[line])}`;
      expect(where && `${name} ${where}`, stale).toBe("");
    }
  });

  it("keeps every generated file within the house limit of 400 lines", async () => {
    for (const name of readdirSync(typesDir)) {
      expect(readFileSync(join(typesDir, name), "utf8").split("\n").length, name).toBeLessThanOrEqual(400);
    }
  });
});
