/**
 * The MQTT session's incremental storage inside workerd: the real session state machine is
 * driven through random sequences (deliveries of QoS 0/1/2, acknowledgements in any order,
 * PUBREC/PUBCOMP, disconnects and reconnects that resend, a queue that fills and prunes,
 * subscriptions made and dropped), every state it returns is saved, and after every step a
 * fresh store (as after a restart) reads back exactly the state in memory. A state written
 * whole, the way sessions were stored before, is read and moved to rows.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { DeviceStore } from "../../durable-objects/device/store";
import { MqttSessionStore } from "../../durable-objects/device/mqtt-session-store";
import { connect, connectionLost, createSession, deliver, handlePacket, type SessionState } from "../../protocols/mqtt";
import { CTX, OK, T0, connectOf, message, sub } from "../../protocols/mqtt/session.fixtures";

type Step =
  | { kind: "deliver"; qos: 0 | 1 | 2; n: number }
  | { kind: "ack"; pick: number }
  | { kind: "pubcomp"; pick: number }
  | { kind: "drop" }
  | { kind: "reconnect" }
  | { kind: "subscribe"; on: boolean };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant("deliver" as const), qos: fc.constantFrom<0 | 1 | 2>(0, 1, 2), n: fc.integer({ min: 1, max: 6 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("ack" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("pubcomp" as const), pick: fc.nat() }) },
  { weight: 1, arbitrary: fc.constant({ kind: "drop" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "reconnect" as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("subscribe" as const), on: fc.boolean() }) },
);

/** Applies one step to the session, as the host would. */
function apply(state: SessionState, s: Step, i: number): SessionState {
  const now = T0 + i;
  switch (s.kind) {
    case "deliver": {
      for (let k = 0; k < s.n; k++) state = deliver(state, message(`devices/d1/commands/m${i}-${k}`, s.qos, { payload: new TextEncoder().encode(`${i}:${k}`) }), CTX, now).state;
      return state;
    }
    case "ack": {
      const open = state.inflight;
      if (open.length === 0) return state;
      const e = open[s.pick % open.length]!;
      const type = e.phase === "pubrel" ? "pubcomp" : e.message.qos === 2 ? "pubrec" : "puback";
      return handlePacket(state, { type, packetId: e.packetId }, CTX, now).state;
    }
    case "pubcomp": {
      const pending = state.inflight.filter((e) => e.phase === "pubrel");
      if (pending.length === 0) return state;
      return handlePacket(state, { type: "pubcomp", packetId: pending[s.pick % pending.length]!.packetId }, CTX, now).state;
    }
    case "drop":
      return state.connected ? connectionLost(state, now).state : state;
    case "reconnect":
      return state.connected ? state : connect(state, connectOf(4, { clean: false }), OK, CTX, now).state;
    case "subscribe":
      if (!state.connected) return state;
      return s.on
        ? handlePacket(state, { type: "subscribe", packetId: 1, subscriptions: [sub("devices/d1/commands/#", 2)] }, CTX, now).state
        : handlePacket(state, { type: "unsubscribe", packetId: 2, filters: ["devices/d1/commands/#"] }, CTX, now).state;
  }
}

/**
 * What must read back exactly: all but the packet-id counter and the last activity, which are
 * written only along with other changes (allocation skips ids in flight, so a stale counter is safe).
 */
const comparable = (s: SessionState) => ({ ...s, nextPacketId: 0, lastActivity: 0 });

function start(): SessionState {
  const s = connect(createSession("d1", { maxInflight: 5, maxQueued: 12 }), connectOf(4, { clean: false }), OK, CTX, T0).state;
  return handlePacket(s, { type: "subscribe", packetId: 1, subscriptions: [sub("devices/d1/commands/#", 2)] }, CTX, T0).state;
}

/** Runs `fn` inside a DeviceObject with its SQLite and its migrated DeviceStore (the session's metadata). */
function inSessionObject<T>(name: string, fn: (sql: SqlStorage, meta: DeviceStore) => T): Promise<T> {
  return inDeviceObject(name, (state) => {
    const meta = new DeviceStore(state.storage.sql);
    meta.migrate();
    return fn(state.storage.sql, meta);
  });
}

describe("MqttSessionStore", () => {
  it("reads back every state the session machine produces, after any sequence of events", async () => {
    const failures = await inSessionObject("session-store-property", (sql, meta) => {
      let failure: string | null = null;
      fc.assert(
        fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
          const store = new MqttSessionStore(sql, meta);
          store.clear();
          let session = start();
          store.save(session);
          steps.forEach((s, i) => {
            session = apply(session, s, i + 1);
            store.save(session);
            const read = new MqttSessionStore(sql, meta).load();
            if (JSON.stringify(read && comparable(read)) !== JSON.stringify(comparable(session))) {
              failure = `after ${JSON.stringify(steps.slice(0, i + 1))}: ${JSON.stringify(read)} != ${JSON.stringify(session)}`;
              throw new Error(failure);
            }
          });
        }),
        { numRuns: 150 },
      );
      return failure;
    });
    expect(failures).toBeNull();
  });

  it("rewrites the small part only when more than the packet-id counter moved, and a read-back session allocates no id in flight", async () => {
    const out = await inSessionObject("session-store-head", (sql, meta) => {
      let heads = 0;
      const counting = { getMeta: meta.getMeta.bind(meta), setMeta: (k: string, v: unknown) => (heads++, meta.setMeta(k, v)) };
      const store = new MqttSessionStore(sql, counting);
      store.clear();
      let session = start();
      store.save(session);
      heads = 0;
      // Deliveries and acknowledgements move only the queue, the window and the counter.
      for (let i = 0; i < 20; i++) {
        session = deliver(session, message(`devices/d1/commands/h${i}`, 1), CTX, T0 + i).state;
        store.save(session);
        if (i % 3 === 0) {
          session = handlePacket(session, { type: "puback", packetId: session.inflight[0]!.packetId }, CTX, T0 + i).state;
          store.save(session);
        }
      }
      const quiet = heads;
      // After a restart the counter is stale, yet the next ids skip every one still in flight.
      const read = new MqttSessionStore(sql, meta).load()!;
      let next = read;
      for (let i = 0; i < 3; i++) next = handlePacket(next, { type: "puback", packetId: next.inflight[0]!.packetId }, CTX, T0 + 40).state;
      for (let i = 0; i < 3; i++) next = deliver(next, message(`devices/d1/commands/n${i}`, 1), CTX, T0 + 41).state;
      const ids = next.inflight.map((e) => e.packetId);
      // Forced (the host's paced last-activity write) and a real change write it again.
      const forced = store.save(session, true);
      session = handlePacket(session, { type: "unsubscribe", packetId: 3, filters: ["devices/d1/commands/#"] }, CTX, T0 + 30).state;
      store.save(session);
      return { quiet, stale: read.nextPacketId !== session.nextPacketId, unique: new Set(ids).size === ids.length, full: ids.length, forced, after: heads };
    });
    expect(out).toEqual({ quiet: 0, stale: true, unique: true, full: 5, forced: true, after: 2 });
  });

  it("reads a session stored whole (the earlier format) and moves its lists to rows", async () => {
    const out = await inSessionObject("session-store-legacy", (sql, meta) => {
      let session = start();
      for (let i = 0; i < 8; i++) session = deliver(session, message(`devices/d1/commands/x${i}`, 1), CTX, T0).state;
      meta.setMeta("mqtt_session", session); // written whole, lists inside
      const store = new MqttSessionStore(sql, meta);
      const loaded = store.load();
      store.save(loaded!);
      const head = meta.getMeta<SessionState>("mqtt_session")!;
      return { same: JSON.stringify(loaded) === JSON.stringify(session), again: JSON.stringify(new MqttSessionStore(sql, meta).load()) === JSON.stringify(session), headQueue: head.queue.length, headInflight: head.inflight.length, rows: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM mqtt_queue").one().n };
    });
    expect(out).toEqual({ same: true, again: true, headQueue: 0, headInflight: 0, rows: 3 });
  });
});
