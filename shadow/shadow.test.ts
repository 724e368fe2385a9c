/**
 * Table tests from AWS IoT's Device Shadow documentation ("Device Shadow service documents",
 * "Interacting with shadows", "Device Shadow error messages"): each case names the example.
 */
import { describe, expect, it } from "vitest";
import { applyShadow, deltaOf, validateShadowName } from "./shadow";
import type { ShadowDocument, ShadowRecord, ShadowRequest, ShadowResult } from "./shadow";
import type { JsonObject, JsonValue } from "../protocols/json-value";

const T0 = 1_591_057_529_000; // ms; AWS's example timestamp 1591057529 s
const S0 = 1_591_057_529;

/** Runs requests in order, one second apart, returning every result. */
function run(requests: ShadowRequest[], start: ShadowRecord | null = null): ShadowResult[] {
  const results: ShadowResult[] = [];
  let doc = start;
  requests.forEach((req, i) => {
    const r = applyShadow(doc, req, T0 + i * 1000);
    doc = r.document;
    results.push(r);
  });
  return results;
}
const liveDoc = (r: ShadowResult): ShadowDocument => r.document as ShadowDocument;
const body = (r: ShadowResult): Record<string, unknown> => r.response.body as Record<string, unknown>;
const update = (state: JsonObject | null, extra: object = {}): ShadowRequest =>
  ({ kind: "update", state, ...extra }) as ShadowRequest;

describe("delta state (AWS examples)", () => {
  it("fields in desired but not in reported are in the delta; reported-only fields are not", () => {
    const [, r] = run([update({ desired: { color: "RED", state: "STOP" }, reported: { color: "GREEN", engine: "ON" } }), { kind: "get" }]);
    expect(body(r).state).toEqual({
      desired: { color: "RED", state: "STOP" },
      reported: { color: "GREEN", engine: "ON" },
      delta: { color: "RED", state: "STOP" },
    });
    expect(body(r).metadata).toEqual({
      desired: { color: { timestamp: S0 }, state: { timestamp: S0 } },
      reported: { color: { timestamp: S0 }, engine: { timestamp: S0 } },
    });
  });

  it("nested objects: the delta keeps the path to the root", () => {
    const [, r] = run([
      update({
        desired: { lights: { color: { r: 255, g: 255, b: 255 } } },
        reported: { lights: { color: { r: 255, g: 0, b: 255 } } },
      }),
      { kind: "get" },
    ]);
    expect((body(r).state as JsonObject).delta).toEqual({ lights: { color: { g: 255 } } });
  });

  it("arrays are values: a differing desired array is copied whole", () => {
    const [, r] = run([update({ desired: { seq: ["RED", "GREEN", "BLUE"] }, reported: { seq: ["RED", "GREEN"] } }), { kind: "get" }]);
    expect((body(r).state as JsonObject).delta).toEqual({ seq: ["RED", "GREEN", "BLUE"] });
  });

  it("an object in desired against a scalar in reported is in the delta whole", () => {
    const [, r] = run([update({ desired: { mode: { a: 1, b: 2 } }, reported: { mode: "off" } }), { kind: "get" }]);
    expect((body(r).state as JsonObject).delta).toEqual({ mode: { a: 1, b: 2 } });
  });

  it("no delta when reported matches desired (key order is irrelevant)", () => {
    const [, r] = run([update({ desired: { c: { x: 1, y: [1, { z: 2 }] } }, reported: { c: { y: [1, { z: 2 }], x: 1 } } }), { kind: "get" }]);
    expect(body(r).state).not.toHaveProperty("delta");
  });

  it("/update/delta carries desired's metadata for the delta fields", () => {
    const [r1, r2] = run([
      update({ desired: { color: "RED", size: 2 } }),
      update({ desired: { color: "BLUE" }, reported: { size: 2 } }),
    ]);
    const d1 = r1.events.find((e) => e.type === "delta");
    expect(d1?.message).toEqual({
      state: { color: "RED", size: 2 },
      metadata: { color: { timestamp: S0 }, size: { timestamp: S0 } },
      version: 1,
      timestamp: S0,
    });
    const d2 = r2.events.find((e) => e.type === "delta");
    expect(d2?.message).toEqual({ state: { color: "BLUE" }, metadata: { color: { timestamp: S0 + 1 } }, version: 2, timestamp: S0 + 1 });
  });

  it("a delta event with empty state when the device catches up; none when the delta is unchanged", () => {
    const [, r2, r3] = run([update({ desired: { on: true } }), update({ reported: { on: true } }), update({ reported: { temp: 20 } })]);
    expect(r2.events.find((e) => e.type === "delta")?.message).toMatchObject({ state: {}, metadata: {}, version: 2 });
    expect(r3.events.some((e) => e.type === "delta")).toBe(false);
  });
});

describe("update (AWS examples)", () => {
  it("/update/accepted echoes only the requested fields, with per-leaf metadata", () => {
    const [r] = run([update({ desired: { color: { r: 10 }, engine: "ON" } }, { clientToken: "token" })]);
    expect(r.response).toEqual({
      status: "accepted",
      op: "update",
      body: {
        state: { desired: { color: { r: 10 }, engine: "ON" } },
        metadata: { desired: { color: { r: { timestamp: S0 } }, engine: { timestamp: S0 } } },
        version: 1,
        timestamp: S0,
        clientToken: "token",
      },
    });
  });

  it("the first update creates the document at version 1; every accepted update increments", () => {
    const rs = run([update({ reported: { t: 1 } }), update({ reported: { t: 1 } }), update({ reported: {} })]);
    expect(rs.map((r) => liveDoc(r).version)).toEqual([1, 2, 3]);
  });

  it("arrays are replaced whole (colors [RED, GREEN, BLUE] → [RED])", () => {
    const [, r] = run([update({ desired: { colors: ["RED", "GREEN", "BLUE"] } }), update({ desired: { colors: ["RED"] } })]);
    expect(liveDoc(r).state).toEqual({ desired: { colors: ["RED"] } });
  });

  it("null deletes a field (desired.engine: null)", () => {
    const [, r] = run([update({ desired: { engine: "ON", color: "RED" } }), update({ desired: { engine: null } })]);
    expect(liveDoc(r).state).toEqual({ desired: { color: "RED" } });
    expect(liveDoc(r).metadata).toEqual({ desired: { color: { timestamp: S0 } } });
    expect(body(r)).toMatchObject({ state: { desired: { engine: null } }, metadata: { desired: { engine: { timestamp: S0 + 1 } } } });
  });

  it('"desired": null removes the section (empty-properties example)', () => {
    const [, r] = run([update({ desired: { color: "red" } }), update({ reported: { color: "red" }, desired: null })]);
    expect(liveDoc(r).state).toEqual({ reported: { color: "red" } });
    expect(liveDoc(r).metadata).toEqual({ reported: { color: { timestamp: S0 + 1 } } });
  });

  it("deleting the last field of an object removes the object; an emptied section disappears", () => {
    const [, r] = run([update({ reported: { a: { b: 1 } } }), update({ reported: { a: { b: null } } })]);
    expect(liveDoc(r).state).toEqual({});
    expect(liveDoc(r).metadata).toEqual({});
    expect(liveDoc(r).version).toBe(2);
  });

  it("state: null empties the shadow without deleting it", () => {
    const [, r, g] = run([update({ desired: { a: 1 }, reported: { b: 2 } }), update(null), { kind: "get" }]);
    expect(liveDoc(r).state).toEqual({});
    expect(g.response).toMatchObject({ status: "accepted", body: { state: {}, metadata: {}, version: 2 } });
  });

  it("untouched fields keep their timestamps; touched ones get the new one", () => {
    const [, r] = run([update({ reported: { a: 1, o: { x: 1, y: 2 } } }), update({ reported: { o: { y: 3 } } })]);
    expect(liveDoc(r).metadata).toEqual({
      reported: { a: { timestamp: S0 }, o: { x: { timestamp: S0 }, y: { timestamp: S0 + 1 } } },
    });
  });

  it("array metadata is per element, as AWS returns it", () => {
    const [r] = run([update({ desired: { seq: ["RED", { v: 1 }, [2]], none: [] } })]);
    expect(liveDoc(r).metadata.desired).toEqual({
      seq: [{ timestamp: S0 }, { v: { timestamp: S0 } }, [{ timestamp: S0 }]],
      none: [],
    });
  });

  it("/update/documents shows previous and current", () => {
    const [r1, r2] = run([update({ reported: { t: 1 } }), update({ reported: { t: 2 } }, { clientToken: "c" })]);
    expect(r1.events.find((e) => e.type === "documents")?.message).toMatchObject({ previous: null, current: { version: 1 } });
    expect(r2.events.find((e) => e.type === "documents")?.message).toEqual({
      previous: { state: { reported: { t: 1 } }, metadata: { reported: { t: { timestamp: S0 } } }, version: 1 },
      current: { state: { reported: { t: 2 } }, metadata: { reported: { t: { timestamp: S0 + 1 } } }, version: 2 },
      timestamp: S0 + 1,
      clientToken: "c",
    });
  });

  it("a __proto__ key is stored as data, never as a prototype", () => {
    const state = JSON.parse('{"reported":{"__proto__":{"polluted":1},"constructor":2}}') as JsonObject;
    const [r] = run([update(state)]);
    expect(JSON.stringify(liveDoc(r).state)).toBe('{"reported":{"__proto__":{"polluted":1},"constructor":2}}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("optimistic locking (AWS example)", () => {
  const v10: ShadowDocument = {
    state: { desired: { colors: ["RED", "GREEN", "BLUE"] } },
    metadata: { desired: { colors: [{ timestamp: 1 }, { timestamp: 1 }, { timestamp: 1 }] } },
    version: 10,
    timestamp: 1,
  };
  const token = "426bfd96-e720-46d3-95cd-014e3ef12bb6";

  it("version 9 against 10 is rejected with 409 Version conflict", () => {
    const r = applyShadow(v10, { kind: "update", state: { desired: { colors: ["BLUE"] } }, version: 9, clientToken: token }, T0);
    expect(r.response).toEqual({ status: "rejected", op: "update", body: { code: 409, message: "Version conflict", timestamp: S0, clientToken: token } });
    expect(r.document).toBe(v10);
    expect(r.changed).toBe(false);
  });

  it("version 10 is accepted and the result is version 11", () => {
    const r = applyShadow(v10, { kind: "update", state: { desired: { colors: ["BLUE"] } }, version: 10 }, T0);
    expect(liveDoc(r)).toMatchObject({ state: { desired: { colors: ["BLUE"] } }, version: 11 });
  });

  it("a new shadow has version 0 for locking purposes", () => {
    expect(applyShadow(null, update({ reported: { a: 1 } }, { version: 0 }), T0).response.status).toBe("accepted");
    expect(applyShadow(null, update({ reported: { a: 1 } }, { version: 1 }), T0).response.body).toMatchObject({ code: 409 });
  });
});

describe("get and delete", () => {
  it("get on a missing shadow is 404 No shadow exists with name", () => {
    const r = applyShadow(null, { kind: "get", name: "thing1", clientToken: "t" }, T0);
    expect(r.response.body).toEqual({ code: 404, message: "No shadow exists with name: 'thing1'", timestamp: S0, clientToken: "t" });
  });

  it("delete answers {version, timestamp}; then get is 404; a later update continues the version", () => {
    const [, , del, get, upd, del2] = run([
      update({ reported: { a: 1 } }),
      update({ reported: { a: 2 } }),
      { kind: "delete", clientToken: "d" },
      { kind: "get" },
      update({ desired: { b: 1 } }),
      { kind: "delete", version: 2 },
    ]);
    expect(del.response).toEqual({ status: "accepted", op: "delete", body: { version: 2, timestamp: S0 + 2, clientToken: "d" } });
    expect(del.document).toEqual({ deleted: true, version: 2, timestamp: S0 + 2 });
    expect(del.events).toEqual([
      { type: "documents", message: expect.objectContaining({ previous: expect.objectContaining({ version: 2 }), current: null }) },
    ]);
    expect(get.response.body).toMatchObject({ code: 404 });
    expect(liveDoc(upd)).toMatchObject({ state: { desired: { b: 1 } }, version: 3 });
    expect(upd.events.find((e) => e.type === "documents")?.message).toMatchObject({ previous: null });
    expect(del2.response.body).toMatchObject({ code: 409, message: "Version conflict" });
  });

  it("delete of a missing or deleted shadow is 404", () => {
    expect(applyShadow(undefined, { kind: "delete" }, T0).response.body).toMatchObject({ code: 404 });
    expect(applyShadow({ deleted: true, version: 3, timestamp: 1 }, { kind: "delete" }, T0).response.body).toMatchObject({ code: 404 });
  });

  it("get returns the whole document with the delta and the request's clientToken", () => {
    const [, g] = run([update({ desired: { a: 1 }, reported: { a: 0 } }), { kind: "get", clientToken: "g" }]);
    expect(g.response.body).toEqual({
      state: { desired: { a: 1 }, reported: { a: 0 }, delta: { a: 1 } },
      metadata: { desired: { a: { timestamp: S0 } }, reported: { a: { timestamp: S0 } } },
      version: 1,
      timestamp: S0 + 1,
      clientToken: "g",
    });
  });
});

describe("deltaOf and shadow names", () => {
  it("deltaOf gives the open delta, or null", () => {
    const [r] = run([update({ desired: { a: 1, b: { c: 2 } }, reported: { a: 1 } })]);
    expect(deltaOf(r.document, T0 + 5000)).toEqual({
      state: { b: { c: 2 } },
      metadata: { b: { c: { timestamp: S0 } } },
      version: 1,
      timestamp: S0 + 5,
    });
    expect(deltaOf(null)).toBeNull();
    expect(deltaOf({ deleted: true, version: 1, timestamp: 0 })).toBeNull();
    expect(deltaOf(applyShadow(r.document, update({ reported: { b: { c: 2 } } }), T0).document)).toBeNull();
  });

  it.each([
    [undefined, { ok: true, name: "" }],
    ["", { ok: true, name: "" }],
    ["config_1-a", { ok: true, name: "config_1-a" }],
    ["x".repeat(64), { ok: true, name: "x".repeat(64) }],
    ["x".repeat(65), { ok: false }],
    ["a/b", { ok: false }],
    ["a b", { ok: false }],
    ["$aws", { ok: false }],
  ] as const)("validateShadowName(%j)", (name, expected) => {
    expect(validateShadowName(name)).toMatchObject(expected);
  });
});

describe("types", () => {
  it("documents and bodies are JSON values", () => {
    const [r] = run([update({ desired: { a: [1] } })]);
    const asJson: JsonValue[] = [liveDoc(r), r.response.body, ...r.events.map((e) => e.message)];
    expect(JSON.parse(JSON.stringify(asJson))).toEqual(asJson);
  });
});
