/**
 * deliverAll is deliver applied message by message, only cheaper: for random sessions (online or
 * not, 3.1.1 or 5.0 with topic aliases, small windows and queues, messages already queued and in
 * flight, a small Maximum Packet Size) and random batches (matching or not, QoS 0/1/2, expired,
 * oversized, denied by policy), the state, packets, drops and persist flag are the same.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deliver, deliverAll, handlePacket, handlePubacks, type Message, type SessionResult, type SessionState } from "./session";
import { CTX, T0, message, online, subscribed, sub } from "./session.fixtures";
import { connectionLost } from "./session";

const topics = ["devices/d1/commands/a", "devices/d1/commands/b", "channels/c1/messages/x", "channels/c2/messages/y", "other/t"];

const messageArb: fc.Arbitrary<Message> = fc
  .record({
    topic: fc.constantFrom(...topics),
    qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2),
    size: fc.constantFrom(1, 10, 200),
    expired: fc.boolean(),
    expiresLater: fc.boolean(),
  })
  .map(({ topic, qos, size, expired, expiresLater }) =>
    message(topic, qos, { payload: new Uint8Array(size), ...(expired ? { expiresAt: T0 - 1 } : expiresLater ? { expiresAt: T0 + 60_000 } : {}) }),
  );

const sessionArb: fc.Arbitrary<SessionState> = fc
  .record({
    version: fc.constantFrom<4 | 5>(4, 5),
    connected: fc.boolean(),
    maxInflight: fc.integer({ min: 1, max: 4 }),
    maxQueued: fc.integer({ min: 1, max: 6 }),
    aliases: fc.integer({ min: 0, max: 2 }),
    maxPacket: fc.constantFrom(0, 120),
    before: fc.array(messageArb, { maxLength: 8 }),
  })
  .map(({ version, connected, maxInflight, maxQueued, aliases, maxPacket, before }) => {
    const props = version === 5 ? { properties: { sessionExpiryInterval: 3600, topicAliasMaximum: aliases, ...(maxPacket ? { maximumPacketSize: maxPacket } : {}) } } : { clean: false };
    let s = online(version, props, { maxInflight, maxQueued, maxOutboundAliases: 2 });
    s = subscribed(s, sub("devices/d1/commands/#", 2), sub("channels/c1/messages/#", 1));
    for (const m of before) s = deliver(s, m, CTX, T0).state;
    return connected ? s : connectionLost(s, T0).state;
  });

/** deliver, one message after another, as one result. */
function fold(state: SessionState, messages: readonly Message[], now: number): SessionResult {
  let s = state;
  const out: SessionResult["out"] = [];
  const effects: SessionResult["effects"] = [];
  let persist = false;
  for (const m of messages) {
    const r = deliver(s, m, CTX, now);
    s = r.state;
    out.push(...r.out);
    effects.push(...r.effects);
    persist ||= r.persist;
  }
  return { state: s, out, effects, persist };
}

describe("deliverAll", () => {
  it("gives what deliver gives message by message", () => {
    fc.assert(
      // Later, queued messages with an expiry have expired (and a full queue is pruned of them).
      fc.property(sessionArb, fc.array(messageArb, { maxLength: 12 }), fc.constantFrom(T0, T0 + 120_000), (state, batch, now) => {
        const expected = fold(state, batch, now);
        const got = deliverAll(state, batch, CTX, now);
        expect(JSON.stringify(got.state)).toBe(JSON.stringify(expected.state));
        expect(got.out).toEqual(expected.out);
        expect(got.effects).toEqual(expected.effects);
        expect(got.persist).toBe(expected.persist);
      }),
      { numRuns: 2000 },
    );
  });

  it("copies a long queue once per batch, not once per message", () => {
    let s = subscribed(online(4, {}, { maxInflight: 2, maxQueued: 20_000 }), sub("channels/c1/messages/#", 1));
    s = deliverAll(s, Array.from({ length: 10_000 }, (_, i) => message(`channels/c1/messages/${i}`)), CTX, T0).state;
    expect([s.inflight.length, s.queue.length]).toEqual([2, 9_998]);
    const r = deliverAll(s, Array.from({ length: 500 }, (_, i) => message(`channels/c1/messages/n${i}`)), CTX, T0);
    expect(r.state.queue.length).toBe(10_498);
    expect(r.state.queue[9_998]!.topic).toBe("channels/c1/messages/n0");
  });
});

describe("handlePubacks", () => {
  it("gives what handlePacket gives PUBACK by PUBACK", () => {
    fc.assert(
      fc.property(sessionArb, fc.array(fc.integer({ min: 0, max: 12 }), { maxLength: 10 }), fc.constantFrom(T0, T0 + 120_000), (state, picks, now) => {
        // Mostly ids in flight (some twice, some QoS 2), and a few unknown ones.
        const ids = picks.map((k) => state.inflight[k]?.packetId ?? 1000 + k);
        let s = state;
        const out: SessionResult["out"] = [];
        const effects: SessionResult["effects"] = [];
        let persist = false;
        for (const packetId of ids) {
          const r = handlePacket(s, { type: "puback", packetId }, CTX, now);
          s = r.state;
          out.push(...r.out);
          effects.push(...r.effects);
          persist ||= r.persist;
        }
        const got = handlePubacks(state, ids, now);
        expect(JSON.stringify(got.state)).toBe(JSON.stringify(s));
        expect(got.out).toEqual(out);
        expect(got.effects).toEqual(effects);
        expect(got.persist).toBe(persist);
      }),
      { numRuns: 2000 },
    );
  });
});
