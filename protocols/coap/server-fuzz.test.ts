/**
 * Fuzzing CoAP: the session's request path with fast-check (every request answered once, the
 * connection kept), arbitrary frames, and a short pass of the shared codec target that
 * `npm run fuzz -- --codec coap` runs a million times.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeFailures, fuzz } from "../../test/fuzz/engine";
import { coapTarget } from "../../test/fuzz/targets/coap";
import { blockOption } from "./block";
import type { CoapMessage, CoapOption } from "./codec";
import { decode, encode } from "./codec";
import { Code, codeClass } from "./codes";
import { Option, encodeString, encodeUint, getUintOption, pathOptions } from "./options";
import { Driver } from "./testing/driver";

const segment = fc.constantFrom("shadow", "delta", "telemetry", "lamp", "x", "", "n:1", "bad name", "é");
const option: fc.Arbitrary<CoapOption> = fc.oneof(
  fc.record({
    number: fc.constantFrom(...Object.values(Option)),
    value: fc.oneof(fc.uint8Array({ maxLength: 4 }), fc.constant(new Uint8Array())),
  }),
  fc.record({ number: fc.integer({ min: 0, max: 65535 }), value: fc.uint8Array({ maxLength: 6 }) }),
  fc.constantFrom<CoapOption>(
    { number: Option.CONTENT_FORMAT, value: encodeUint(50) },
    { number: Option.CONTENT_FORMAT, value: encodeUint(60) },
    { number: Option.CONTENT_FORMAT, value: encodeUint(112) },
    { number: Option.ACCEPT, value: encodeUint(60) },
    { number: Option.OBSERVE, value: new Uint8Array() },
    { number: Option.OBSERVE, value: encodeUint(1) },
    { number: Option.IF_MATCH, value: Uint8Array.of(1) },
    { number: Option.URI_QUERY, value: encodeString("auth=secret") },
  ),
  fc
    .record({ num: fc.integer({ min: 0, max: 40 }), more: fc.boolean(), szx: fc.integer({ min: 0, max: 7 }), n: fc.constantFrom<23 | 27>(23, 27) })
    .map(({ n, ...b }) => blockOption(n, b)),
);
const payload = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc.constantFrom('{"state":{"reported":{"a":1}}}', '{"state":{"desired":{"a":2}},"version":1}', "[]", "{").map(encodeString),
);
const request: fc.Arbitrary<CoapMessage> = fc
  .record({
    code: fc.oneof(fc.constantFrom(Code.GET, Code.POST, Code.DELETE), fc.integer({ min: 1, max: 31 })),
    token: fc.uint8Array({ maxLength: 8 }),
    path: fc.array(segment, { maxLength: 4 }),
    options: fc.array(option, { maxLength: 6 }),
    payload,
  })
  .map(({ path, options, ...m }) => ({ ...m, options: [...path.map((s) => pathOptions(`/${s}`)[0] ?? { number: Option.URI_PATH, value: new Uint8Array() }), ...options] }));

/** A request from the device, or a delta change pushed by the host (any value, even unserializable ones). */
const step = fc.oneof(
  { weight: 4, arbitrary: request.map((msg) => ({ kind: "request" as const, msg })) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("delta" as const), name: fc.constantFrom(null, "lamp"), delta: fc.anything() }) },
);

/** Every error payload is the same typed diagnostic: JSON {code, message}, Content-Format 50. */
function expectTypedError(m: CoapMessage): void {
  expect(getUintOption(m, Option.CONTENT_FORMAT)).toBe(50);
  const body = JSON.parse(new TextDecoder().decode(m.payload)) as { code: unknown; message: unknown };
  expect(body.code).toBe(codeClass(m.code) * 100 + (m.code & 0x1f));
  expect(typeof body.message).toBe("string");
}

describe("fuzzing the request path", () => {
  it("every request gets exactly one well-formed response with its token, no frame exceeds the peer's Max-Message-Size, and the connection stays up", async () => {
    const csm = fc.record({ maxMessageSize: fc.oneof(fc.integer({ min: 64, max: 400 }), fc.constantFrom(1152, 8_388_864)), blockWise: fc.boolean() });
    const blockSize = fc.constantFrom(16, 64, 256, 1024);
    await fc.assert(
      fc.asyncProperty(csm, blockSize, fc.array(step, { minLength: 1, maxLength: 12 }), async (peer, size, steps) => {
        const d = new Driver({ maxPayload: 200, maxObservers: 3, blockSize: size });
        await d.start(peer);
        for (const s of steps) {
          if (s.kind === "request") {
            const { out, msgs } = await d.send(s.msg);
            expect(out.close).toBeNull();
            expect(msgs).toHaveLength(1);
            expect(msgs[0].token).toEqual(s.msg.token);
            expect([2, 4, 5]).toContain(codeClass(msgs[0].code));
            for (const f of out.frames) expect(f.length).toBeLessThanOrEqual(peer.maxMessageSize);
            if (codeClass(msgs[0].code) !== 2 && msgs[0].payload.length > 0) expectTypedError(msgs[0]);
          } else {
            const out = d.session.notifyDelta(s.name, s.delta);
            for (const f of out.frames) expect([2, 5]).toContain(codeClass(decode(f).code));
            for (const f of out.frames) expect(f.length).toBeLessThanOrEqual(peer.maxMessageSize);
            for (const m of out.frames.map(decode)) if (codeClass(m.code) !== 2 && m.payload.length > 0) expectTypedError(m);
          }
          expect(JSON.stringify(d.session.state).length).toBeLessThan(2048);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("arbitrary frames never make receive() reject; they are answered, ignored, or aborted", async () => {
    const frames = fc.array(fc.oneof(fc.uint8Array({ maxLength: 40 }), request.map(encode)), { minLength: 1, maxLength: 8 });
    await fc.assert(
      fc.asyncProperty(frames, async (list) => {
        const d = new Driver();
        await d.start();
        for (const f of list) {
          const { out, msgs } = await d.send(f);
          expect(msgs.length).toBeLessThanOrEqual(1);
          if (out.close !== null) {
            // our Abort (malformed, bad signaling) or the peer's Release/Abort
            expect(msgs.every((m) => m.code === Code.ABORT)).toBe(true);
            expect(d.session.closed).toBe(true);
            break;
          }
          for (const m of msgs) expect([2, 4, 5, 7]).toContain(codeClass(m.code));
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("the shared CoAP codec fuzz target (short pass of `npm run fuzz -- --codec coap`)", () => {
  it("20,000 generated and mutated frames: only CoapError, and what decodes round-trips", () => {
    const summary = fuzz(coapTarget, { seed: 0xc0a9, inputs: 20_000 });
    expect(summary.failures, describeFailures(summary)).toEqual([]);
    expect(summary.accepted).toBeGreaterThan(1000);
  });
});
