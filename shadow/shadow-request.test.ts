/**
 * Request validation: AWS's error table ("Device Shadow error messages"), AWS payloads as
 * MQTT/REST carry them, and a fuzz showing no request or record makes applyShadow throw.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyShadow, DEFAULT_SHADOW_LIMITS } from "./shadow";
import type { ShadowRecord, ShadowRequest } from "./shadow";
import type { JsonObject } from "../protocols/json-value";

const T0 = 1_591_057_529_000;
const S0 = 1_591_057_529;
const update = (state: JsonObject | null, extra: object = {}): ShadowRequest =>
  ({ kind: "update", state, ...extra }) as ShadowRequest;

describe("rejections (AWS error messages)", () => {
  const big = "x".repeat(100);
  const cases: [string, unknown, number, string][] = [
    ["missing state", { kind: "update" }, 400, "Missing required node: state"],
    ["state not an object", { kind: "update", state: [1] }, 400, "State node must be an object"],
    ["desired not an object", { kind: "update", state: { desired: 5 } }, 400, "Desired node must be an object"],
    ["reported not an object", { kind: "update", state: { reported: "x" } }, 400, "Reported node must be an object"],
    ["unknown state node", { kind: "update", state: { delta: {} } }, 400, "State contains an invalid node"],
    ["null inside an array", { kind: "update", state: { desired: { colors: [null, "RED"] } } }, 400, "State contains an invalid node"],
    ["version not an integer", { kind: "update", state: {}, version: 1.5 }, 400, "Invalid version"],
    ["negative version", { kind: "delete", version: -1 }, 400, "Invalid version"],
    ["clientToken over 64 bytes", { kind: "get", clientToken: "é".repeat(33) }, 400, "Invalid clientToken"],
    ["clientToken not a string", { kind: "get", clientToken: 7 }, 400, "Invalid clientToken"],
    ["too deep", { kind: "update", state: { reported: { a: { b: { c: [1] } } } } }, 400, "JSON contains too many levels of nesting; maximum is 3"],
    ["request too large", { kind: "update", state: { reported: { big } } }, 413, "The payload exceeds the maximum size allowed (100 bytes)"],
    ["empty state", { kind: "update", state: {} }, 400, "State node must not be empty"],
    ["unknown kind", { kind: "patch" }, 400, "Payload contains invalid json"],
  ];
  const limits = { ...DEFAULT_SHADOW_LIMITS, maxDepth: 3, maxDocumentBytes: 100 };
  it.each(cases)("%s", (_name, request, code, message) => {
    const r = applyShadow(null, request as ShadowRequest, T0, limits);
    expect(r.response.status).toBe("rejected");
    expect(r.response.body).toMatchObject({ code, message, timestamp: S0 });
    expect(r.document).toBeNull();
    expect(r.events).toEqual([]);
  });

  it("a document that the merge makes too large is rejected with 413 and left unchanged", () => {
    const small = { ...DEFAULT_SHADOW_LIMITS, maxDocumentBytes: 60 };
    const r1 = applyShadow(null, update({ reported: { a: "x".repeat(20) } }), T0, small);
    const r2 = applyShadow(r1.document, update({ reported: { b: "y".repeat(20) } }), T0, small);
    expect(r2.response.body).toMatchObject({ code: 413 });
    expect(r2.document).toBe(r1.document);
  });

  it("a valid clientToken is echoed in errors; an invalid one is not", () => {
    expect(applyShadow(null, { kind: "update", state: 3, clientToken: "ok" } as unknown as ShadowRequest, T0).response.body).toMatchObject({ clientToken: "ok" });
    expect(applyShadow(null, { kind: "get", clientToken: "x".repeat(65) }, T0).response.body).not.toHaveProperty("clientToken");
  });
});

describe("fuzz", () => {
  const objectArb = fc.dictionary(fc.constantFrom("a", "b", "__proto__"), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 3 });
  it("never throws, whatever the request or record", () => {
    const record = fc.oneof(
      fc.constant(null),
      fc.constant<ShadowRecord>({ deleted: true, version: 4, timestamp: 1 }),
      objectArb.map((desired) => applyShadow(null, { kind: "update", state: { desired } } as ShadowRequest, T0).document),
    );
    const request = fc.oneof(
      fc.anything(),
      fc.record({ kind: fc.constantFrom("get", "update", "delete"), state: fc.anything(), version: fc.anything(), clientToken: fc.anything() }, { requiredKeys: ["kind"] }),
      fc.record({ kind: fc.constant("update"), state: fc.record({ desired: fc.jsonValue(), reported: fc.jsonValue() }, { requiredKeys: [] }) }),
    );
    fc.assert(
      fc.property(record, request, (doc, req) => {
        const r = applyShadow(doc, req as ShadowRequest, T0);
        expect(["accepted", "rejected"]).toContain(r.response.status);
        expect(() => JSON.stringify(r)).not.toThrow();
      }),
      { numRuns: 1000 },
    );
  });
});
