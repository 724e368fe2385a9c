/**
 * Properties of the shadow, checked against an independent model: state sections are kept as
 * flat maps from leaf path to value (arrays and scalars are leaves), so merge, null-deletion,
 * pruning and the delta are re-derived without sharing any code with the implementation.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applyShadow, DEFAULT_SHADOW_LIMITS } from "./shadow";
import type { ShadowDocument, ShadowLimits, ShadowMetadataNode, ShadowRecord, ShadowRequest } from "./shadow";
import { jsonDepth, jsonEquals, utf8ByteLength } from "../protocols/json-value";
import type { JsonObject, JsonValue } from "../protocols/json-value";

// ---- the model -------------------------------------------------------------------------

type Path = string[];
type Leaves = Map<string, { path: Path; value: JsonValue }>;
const id = (path: Path): string => JSON.stringify(path);
const isObj = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);
const startsWith = (path: Path, prefix: Path): boolean => prefix.every((k, i) => path[i] === k);

function flatten(obj: JsonObject | undefined, prefix: Path = [], out: Leaves = new Map()): Leaves {
  for (const [k, v] of Object.entries(obj ?? {})) {
    const path = [...prefix, k];
    if (isObj(v)) flatten(v, path, out);
    else out.set(id(path), { path, value: v });
  }
  return out;
}

function unflatten(leaves: Leaves): JsonObject | undefined {
  if (leaves.size === 0) return undefined;
  const root: JsonObject = {};
  for (const { path, value } of leaves.values()) {
    let node = root;
    path.forEach((k, i) => {
      if (i === path.length - 1) Object.defineProperty(node, k, { value, enumerable: true, writable: true, configurable: true });
      else {
        if (!Object.prototype.hasOwnProperty.call(node, k)) {
          Object.defineProperty(node, k, { value: {}, enumerable: true, writable: true, configurable: true });
        }
        node = node[k] as JsonObject;
      }
    });
  }
  return root;
}

/** Removes the leaf at `path`, every leaf under it and any leaf at a proper prefix of it. */
function clear(leaves: Leaves, path: Path, below: boolean): void {
  for (const [key, leaf] of leaves) {
    const under = below && startsWith(leaf.path, path);
    const above = leaf.path.length < path.length && startsWith(path, leaf.path);
    const exact = id(leaf.path) === id(path);
    if (under || above || exact) leaves.delete(key);
  }
}

function modelPatch(leaves: Leaves, patch: JsonObject, prefix: Path = []): void {
  for (const [k, v] of Object.entries(patch)) {
    const path = [...prefix, k];
    if (v === null) clear(leaves, path, true);
    else if (isObj(v)) {
      clear(leaves, path, false); // an object replaces a scalar/array at that path
      modelPatch(leaves, v, path);
    } else {
      clear(leaves, path, true);
      leaves.set(id(path), { path, value: v });
    }
  }
}

function modelMerge(section: JsonObject | undefined, patch: JsonObject | null | undefined): JsonObject | undefined {
  if (patch === undefined) return section;
  if (patch === null) return undefined;
  const leaves = flatten(section);
  modelPatch(leaves, patch);
  return unflatten(leaves);
}

/** Walks `obj` along `path`: the value there, or `undefined` if missing or blocked by a non-object. */
function at(obj: JsonObject | undefined, path: Path): JsonValue | undefined {
  let node: JsonValue | undefined = obj;
  for (const k of path) {
    if (!isObj(node) || !Object.prototype.hasOwnProperty.call(node, k)) return undefined;
    node = node[k];
  }
  return node;
}

function modelDelta(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject | undefined {
  const out: Leaves = new Map();
  for (const [key, leaf] of flatten(desired)) {
    const have = at(reported, leaf.path);
    if (have === undefined || !jsonEquals(have, leaf.value)) out.set(key, leaf);
  }
  return unflatten(out);
}

/** Metadata must mirror the state: same keys, same array lengths, `{timestamp: integer}` at leaves. */
function mirrors(value: JsonValue, meta: ShadowMetadataNode | undefined): boolean {
  if (meta === undefined) return false;
  if (Array.isArray(value)) return Array.isArray(meta) && meta.length === value.length && value.every((v, i) => mirrors(v, meta[i]));
  if (isObj(value)) {
    if (Array.isArray(meta)) return false;
    const m = meta as Record<string, ShadowMetadataNode>;
    return Object.keys(value).length === Object.keys(m).length && Object.keys(value).every((k) => mirrors(value[k], m[k]));
  }
  return !Array.isArray(meta) && Object.keys(meta).length === 1 && Number.isInteger((meta as { timestamp: unknown }).timestamp);
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null) {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}

// ---- generators ------------------------------------------------------------------------

// Few keys, so desired and reported overlap often; "__proto__" keeps the prototype trap tested.
const key = fc.constantFrom("a", "b", "c", "d", "__proto__");
const scalar = fc.oneof(fc.integer({ min: -2, max: 2 }), fc.boolean(), fc.constantFrom("x", "y", ""), fc.double({ noNaN: true, noDefaultInfinity: true }));
const { object: objectArb, patch: patchArb } = fc.letrec<{
  value: JsonValue;
  array: JsonValue[];
  object: JsonObject;
  patch: JsonObject;
}>((tie) => ({
  value: fc.oneof({ depthSize: "small", withCrossShrink: true }, scalar, tie("array"), tie("object")),
  array: fc.array(tie("value"), { maxLength: 3 }),
  object: fc.dictionary(key, tie("value"), { maxKeys: 4, noNullPrototype: true }),
  // Patches may delete (null) anywhere outside arrays.
  patch: fc.dictionary(key, fc.oneof({ depthSize: "small" }, fc.constant(null), scalar, tie("array"), tie("patch")), {
    maxKeys: 4,
    noNullPrototype: true,
  }),
}));
const section = fc.option(patchArb, { nil: undefined, freq: 3 });
const sectionOrNull = fc.oneof(section, fc.constant(null));
const updateArb: fc.Arbitrary<ShadowRequest> = fc
  .record({ desired: sectionOrNull, reported: sectionOrNull })
  .map(({ desired, reported }) => {
    const state: JsonObject = {};
    if (desired !== undefined) state.desired = desired;
    if (reported !== undefined) state.reported = reported;
    return { kind: "update", state } as ShadowRequest;
  });

// Desired/reported pairs: independent, or reported = desired with a small patch applied (so
// that equal nested objects, the case where the delta must recurse and drop them, are common).
const pairArb: fc.Arbitrary<[JsonObject, JsonObject]> = fc.oneof(
  fc.tuple(objectArb, objectArb),
  fc.tuple(objectArb, patchArb).map(([d, p]): [JsonObject, JsonObject] => [d, modelMerge(d, p) ?? {}]),
);

/**
 * Limits roomy enough that generated trees (which can nest past depth 10) are never refused:
 * these properties are about merging and the delta; the limits have their own property below.
 */
const ROOMY: ShadowLimits = { ...DEFAULT_SHADOW_LIMITS, maxDepth: 64, maxDocumentBytes: 1 << 20 };
const run = (doc: ShadowRecord | null, req: ShadowRequest, limits: ShadowLimits = ROOMY, t = 1_700_000_000_000) =>
  applyShadow(doc, req, t, limits);
const live = (r: ShadowRecord | null): ShadowDocument | null => (r !== null && !("deleted" in r) ? r : null);
const stateOf = (r: ShadowRecord | null): JsonObject => (live(r)?.state ?? {}) as JsonObject;

// ---- properties ------------------------------------------------------------------------

describe("shadow properties", () => {
  it("the delta is exactly desired minus reported", () => {
    fc.assert(
      fc.property(pairArb, ([desired, reported]) => {
        const doc = run(null, { kind: "update", state: { desired, reported } }).document;
        const got = run(doc, { kind: "get" }).response.body as { state: { delta?: JsonObject; desired?: JsonObject; reported?: JsonObject } };
        const want = modelDelta(got.state.desired, got.state.reported);
        expect(got.state.delta).toEqual(want);
        // The stored sections are the inputs with empty objects pruned.
        expect(got.state.desired).toEqual(modelMerge(undefined, desired));
        expect(got.state.reported).toEqual(modelMerge(undefined, reported));
      }),
      { numRuns: 400 },
    );
  });

  it("updates merge like the model, metadata mirrors state, delta events track the delta", () => {
    fc.assert(
      fc.property(fc.array(updateArb, { minLength: 1, maxLength: 6 }), (updates) => {
        let doc: ShadowRecord | null = null;
        for (const req of updates) {
          const before = stateOf(doc);
          const r = run(doc, req);
          if (r.response.status === "rejected") {
            // The only ways a generated update can fail: nesting deeper than the limit, or an empty state.
            expect(r.response.body.message).toMatch(/too many levels of nesting|State node must not be empty/);
            expect(r.document).toBe(doc);
            continue;
          }
          const patch = (req as { state: { desired?: JsonObject | null; reported?: JsonObject | null } }).state;
          const want = { desired: modelMerge(before.desired as JsonObject | undefined, patch.desired), reported: modelMerge(before.reported as JsonObject | undefined, patch.reported) };
          const after = live(r.document)!;
          expect(after.state.desired).toEqual(want.desired);
          expect(after.state.reported).toEqual(want.reported);
          for (const s of ["desired", "reported"] as const) {
            const v = after.state[s];
            if (v === undefined) expect(after.metadata[s]).toBeUndefined();
            else expect(mirrors(v, after.metadata[s])).toBe(true);
          }
          const oldDelta = modelDelta(before.desired as JsonObject | undefined, before.reported as JsonObject | undefined) ?? {};
          const newDelta = modelDelta(want.desired, want.reported) ?? {};
          const event = r.events.find((e) => e.type === "delta");
          if (jsonEquals(oldDelta, newDelta)) expect(event).toBeUndefined();
          else {
            expect(event?.message.state).toEqual(newDelta);
            expect(mirrors(newDelta, event?.message.metadata)).toBe(true);
          }
          doc = r.document;
        }
      }),
      { numRuns: 300 },
    );
  });

  it("applying the same update twice gives the same state", () => {
    fc.assert(
      fc.property(updateArb, updateArb, (setup, req) => {
        const once = run(run(null, setup).document, req).document;
        const twice = run(once, req).document;
        expect(stateOf(twice)).toEqual(stateOf(once));
      }),
      { numRuns: 300 },
    );
  });

  it("null removes the field it names, whatever else is there", () => {
    fc.assert(
      fc.property(objectArb, fc.nat(), (desired, pick) => {
        const doc = run(null, { kind: "update", state: { desired } }).document;
        const leaves = [...flatten(stateOf(doc).desired as JsonObject | undefined).values()];
        fc.pre(leaves.length > 0);
        const { path } = leaves[pick % leaves.length];
        // Delete either the leaf or one of its ancestors.
        const cut = path.slice(0, 1 + (pick % path.length));
        let patch: JsonValue = null;
        for (const k of [...cut].reverse()) {
          const o: JsonObject = {};
          Object.defineProperty(o, k, { value: patch, enumerable: true, writable: true, configurable: true });
          patch = o;
        }
        const after = run(doc, { kind: "update", state: { desired: patch as JsonObject } }).document;
        expect(at(stateOf(after).desired as JsonObject | undefined, cut)).toBeUndefined();
      }),
      { numRuns: 300 },
    );
  });

  const opArb: fc.Arbitrary<{ req: ShadowRequest; versionPick: number }> = fc.record({
    req: fc.oneof(
      { weight: 5, arbitrary: updateArb },
      { weight: 1, arbitrary: fc.constant<ShadowRequest>({ kind: "delete" }) },
      { weight: 1, arbitrary: fc.constant<ShadowRequest>({ kind: "get" }) },
    ),
    versionPick: fc.integer({ min: -1, max: 3 }), // -1: none, 0: current, else: current ± something
  });

  it("versions only grow; rejections change nothing; accepted updates stay within limits", () => {
    const limits: ShadowLimits = { ...DEFAULT_SHADOW_LIMITS, maxDocumentBytes: 80, maxDepth: 3 };
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 12 }), (ops) => {
        let doc: ShadowRecord | null = null;
        for (const { req, versionPick } of ops) {
          const current = doc?.version ?? 0;
          const version = versionPick < 0 ? undefined : versionPick === 0 ? current : current + versionPick - 2;
          const full = (req.kind === "get" || version === undefined || version < 0 ? req : { ...req, version }) as ShadowRequest;
          const frozen = deepFreeze(doc);
          const r = run(frozen, deepFreeze(full), limits);
          if (r.response.status === "rejected" || req.kind === "get") {
            expect(r.document).toBe(frozen);
            expect(r.changed).toBe(false);
          } else {
            expect(r.changed).toBe(true);
            const next = r.document!;
            expect(next.version).toBe(req.kind === "update" ? current + 1 : current);
            const state = live(next)?.state;
            if (state) {
              expect(utf8ByteLength(JSON.stringify(state))).toBeLessThanOrEqual(limits.maxDocumentBytes);
              for (const s of [state.desired, state.reported]) if (s) expect(jsonDepth(s)).toBeLessThanOrEqual(limits.maxDepth);
            }
          }
          if (doc && r.document) expect(r.document.version).toBeGreaterThanOrEqual(doc.version);
          doc = r.document;
        }
      }),
      { numRuns: 400 },
    );
  });
});
