import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ConnectPacket, MqttPacket, ProtocolVersion, PublishPacket, QoS } from "./packets";
import { connect, connectionLost, createSession, deliver, handlePacket, type SessionResult, type SessionState } from "./session";
import { CTX, OK, T0, connectOf, sub } from "./session.fixtures";

const decoder = new TextDecoder();

function persistentConnect(version: ProtocolVersion, receiveMaximum: number): ConnectPacket {
  return connectOf(version, version === 5 ? { clean: false, properties: { sessionExpiryInterval: 3600, receiveMaximum } } : { clean: false });
}

function noClose(r: SessionResult): SessionResult {
  expect(r.effects.filter((e) => e.type === "close")).toEqual([]);
  return r;
}

/**
 * Outbound: a client that handles what it receives one packet at a time, whose
 * connection drops at random (losing everything not yet handled).
 */
type OutCmd = { k: "deliver"; qos: 1 | 2 } | { k: "process" } | { k: "drop" };

const outCmd: fc.Arbitrary<OutCmd> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<1 | 2>(1, 2).map((qos) => ({ k: "deliver" as const, qos })) },
  { weight: 5, arbitrary: fc.constant({ k: "process" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "drop" as const }) },
);

function runOutbound(version: ProtocolVersion, receiveMaximum: number, cmds: OutCmd[]): void {
  const hello = persistentConnect(version, receiveMaximum);
  let state: SessionState = createSession("d1", { maxQueued: 100_000 });
  let inbox: MqttPacket[] = [];
  const received = new Set<string>();
  const sent: string[] = [];
  const reconnect = () => {
    state = connectionLost(state, T0).state;
    const r = noClose(connect(state, hello, OK, CTX, T0));
    state = r.state;
    inbox = [...r.out];
  };
  const toHost = (p: MqttPacket) => {
    const r = noClose(handlePacket(state, p, CTX, T0));
    state = r.state;
    inbox.push(...r.out);
  };
  const process = () => {
    const p = inbox.shift();
    if (p === undefined) return;
    if (p.type === "publish" && p.packetId !== undefined) {
      received.add(decoder.decode(p.payload));
      toHost({ type: p.qos === 1 ? "puback" : "pubrec", packetId: p.packetId, ...(version === 5 ? { reasonCode: 0 } : {}) });
    } else if (p.type === "pubrel") {
      toHost({ type: "pubcomp", packetId: p.packetId, ...(version === 5 ? { reasonCode: 0 } : {}) });
    }
  };

  state = noClose(connect(state, hello, OK, CTX, T0)).state;
  toHost({ type: "subscribe", packetId: 1, subscriptions: [sub("devices/d1/commands/#", 2)] });
  inbox = [];
  for (const cmd of cmds) {
    if (cmd.k === "deliver") {
      const id = `m${sent.length}`;
      sent.push(id);
      const r = deliver(state, { topic: "devices/d1/commands/x", payload: new TextEncoder().encode(id), qos: cmd.qos as QoS, retain: false }, CTX, T0);
      expect(r.effects).toEqual([]);
      state = r.state;
      inbox.push(...r.out);
    } else if (cmd.k === "process") process();
    else reconnect();
  }
  // Let the client catch up on a healthy connection.
  reconnect();
  for (let guard = 0; inbox.length > 0 && guard < 10_000; guard++) process();
  for (const id of sent) expect(received.has(id), `message ${id} never arrived`).toBe(true);
  expect(state.inflight).toEqual([]);
  expect(state.queue).toEqual([]);
}

/**
 * Inbound: a client publishing QoS 1/2 with a small pool of packet ids, resending
 * at will, and a host that commits in batches, loses connections and crashes
 * (reverting to its last committed state). Sends never overtake uncommitted writes.
 */
type InCmd = { k: "publish"; qos: 1 | 2 } | { k: "resend" } | { k: "process" } | { k: "commit" } | { k: "drop" } | { k: "crash" };

const inCmd: fc.Arbitrary<InCmd> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom<1 | 2>(1, 2).map((qos) => ({ k: "publish" as const, qos })) },
  { weight: 1, arbitrary: fc.constant({ k: "resend" as const }) },
  { weight: 4, arbitrary: fc.constant({ k: "process" as const }) },
  { weight: 2, arbitrary: fc.constant({ k: "commit" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "drop" as const }) },
  { weight: 1, arbitrary: fc.constant({ k: "crash" as const }) },
);

interface Outgoing {
  id: string;
  qos: 1 | 2;
  packetId: number;
  phase: "sent" | "released" | "done";
  /** PUBLISHes of this message on the current connection, and acks for them seen so far. */
  sends: number;
  acks: number;
}

/**
 * A packet id is reusable only once every PUBLISH sent with it on this connection has been
 * answered: a client that resends within a connection (which [MQTT-4.4.0-1] does not ask for)
 * would otherwise take the late duplicate ack as the ack of a new message with the same id.
 */
const inUse = (m: Outgoing) => m.phase !== "done" || m.acks < m.sends;

function runInbound(version: ProtocolVersion, cmds: InCmd[]): void {
  const hello = persistentConnect(version, 65535);
  const rc = version === 5 ? { reasonCode: 0 } : {};
  let state: SessionState = createSession("d1");
  let committed = state;
  let pending: { sends: MqttPacket[]; published: string[] }[] = [];
  let inbox: MqttPacket[] = [];
  const stored = new Map<string, number>();
  const messages: Outgoing[] = [];

  const apply = (r: SessionResult) => {
    noClose(r);
    state = r.state;
    const published: string[] = [];
    const sends = [...r.out];
    for (const e of r.effects) {
      if (e.type !== "publish") continue;
      // A QoS 2 resend is routed again only if its first routing was cut off: never by this hub, which commits whole.
      if (!e.resent) published.push(decoder.decode(e.message.payload));
      if (e.ack) sends.push(e.ack);
    }
    if (r.persist || published.length > 0 || pending.length > 0) pending.push({ sends, published });
    else inbox.push(...sends);
  };
  const commit = () => {
    committed = state;
    for (const batch of pending) {
      for (const id of batch.published) stored.set(id, (stored.get(id) ?? 0) + 1);
      inbox.push(...batch.sends);
    }
    pending = [];
  };
  const publishPacket = (m: Outgoing, dup: boolean): PublishPacket => ({
    type: "publish", topic: "devices/d1/telemetry", payload: new TextEncoder().encode(m.id), qos: m.qos, retain: false, dup, packetId: m.packetId,
  });
  const reconnect = () => {
    inbox = [];
    for (const m of messages) m.sends = m.acks; // acks of the old connection are gone with it
    apply(connectionLost(state, T0));
    apply(connect(state, hello, OK, CTX, T0));
    for (const m of messages) {
      if (m.phase === "sent") {
        m.sends++;
        apply(handlePacket(state, publishPacket(m, true), CTX, T0));
      }
      if (m.phase === "released") apply(handlePacket(state, { type: "pubrel", packetId: m.packetId, ...rc }, CTX, T0));
    }
  };
  const process = () => {
    const p = inbox.shift();
    if (p === undefined || !("packetId" in p)) return;
    const m = messages.find((x) => x.packetId === p.packetId && inUse(x));
    if (m === undefined) return;
    if (p.type === "puback" || p.type === "pubcomp") {
      m.acks++;
      m.phase = "done";
    }
    if (p.type === "pubrec" && m.phase === "sent") {
      m.phase = "released";
      apply(handlePacket(state, { type: "pubrel", packetId: m.packetId, ...rc }, CTX, T0));
    }
  };

  apply(connect(state, hello, OK, CTX, T0));
  commit();
  inbox = [];
  for (const cmd of cmds) {
    switch (cmd.k) {
      case "publish": {
        const busy = new Set(messages.filter(inUse).map((m) => m.packetId));
        const packetId = [1, 2, 3].find((id) => !busy.has(id));
        if (packetId === undefined) break;
        const m: Outgoing = { id: `m${messages.length}`, qos: cmd.qos, packetId, phase: "sent", sends: 1, acks: 0 };
        messages.push(m);
        apply(handlePacket(state, publishPacket(m, false), CTX, T0));
        break;
      }
      case "resend": {
        const m = messages.find((x) => x.phase === "sent");
        if (m) {
          m.sends++;
          apply(handlePacket(state, publishPacket(m, true), CTX, T0));
        }
        break;
      }
      case "process":
        process();
        break;
      case "commit":
        commit();
        break;
      case "drop":
        commit(); // the object lives on and finishes its batch; the acks go nowhere
        reconnect();
        break;
      case "crash":
        state = committed;
        pending = [];
        reconnect();
        break;
    }
  }
  for (let round = 0; round < 20 && messages.some((m) => m.phase !== "done"); round++) {
    commit();
    for (let guard = 0; guard < 1000 && inbox.length > 0; guard++) {
      process();
      commit();
    }
    if (messages.some((m) => m.phase !== "done")) reconnect();
  }
  for (const m of messages) {
    expect(m.phase, `${m.id} never completed`).toBe("done");
    const n = stored.get(m.id) ?? 0;
    if (m.qos === 2) expect(n, `QoS 2 ${m.id} stored ${n} times`).toBe(1);
    else expect(n, `QoS 1 ${m.id} never stored`).toBeGreaterThanOrEqual(1);
  }
}

describe.each([4, 5] as const)("interleavings, level %i", (version) => {
  it("every outbound QoS 1/2 message reaches the client at least once", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4 }), fc.array(outCmd, { maxLength: 60 }), (receiveMaximum, cmds) => runOutbound(version, receiveMaximum, cmds)),
      { numRuns: 400 },
    );
  });
  it("every inbound QoS 2 message is published exactly once, QoS 1 at least once", () => {
    fc.assert(
      fc.property(fc.array(inCmd, { maxLength: 60 }), (cmds) => runInbound(version, cmds)),
      { numRuns: 400 },
    );
  });
});
