import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { conditionHolds } from "./shadow-condition";
import type { ShadowRecord } from "./shadow-types";

const live = (version: number): ShadowRecord => ({ state: { desired: { a: 1 } }, metadata: {}, version, timestamp: 1 }) as unknown as ShadowRecord;
const tomb = (version: number): ShadowRecord => ({ deleted: true, version, timestamp: 1 });

describe("conditional shadow writes (If-None-Match, CoAP's empty If-Match)", () => {
  it.each([
    ["create-only, missing", null, { notAt: "*" as const }, true],
    ["create-only, deleted (a tombstone is no representation)", tomb(4), { notAt: "*" as const }, true],
    ["create-only, live", live(1), { notAt: "*" as const }, false],
    ["not at 3, live at 3", live(3), { notAt: [2, 3] }, false],
    ["not at 3, live at 4", live(4), { notAt: [3] }, true],
    ["not at 3, deleted at 3", tomb(3), { notAt: [3] }, true],
    ["exists, live", live(1), { exists: true as const }, true],
    ["exists, missing", null, { exists: true as const }, false],
    ["exists, deleted", tomb(2), { exists: true as const }, false],
    ["no condition", null, {}, true],
  ])("%s", (_, record, condition, holds) => {
    expect(conditionHolds(record, condition)).toBe(holds);
  });

  it("exists and create-only never both hold", () => {
    fc.assert(
      fc.property(fc.option(fc.nat(1000)), fc.boolean(), (v, deleted) => {
        const record = v === null ? null : deleted ? tomb(v) : live(v);
        expect(conditionHolds(record, { exists: true, notAt: "*" })).toBe(false);
      }),
    );
  });
});
