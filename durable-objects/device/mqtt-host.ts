/**
 * The MQTT side of an object: one persistent session (a device's, client id = device id, or
 * an app's), driven by the pure session machine in `protocols/mqtt`. Sockets are hibernatable
 * (tag "mqtt"); events are processed one at a time; a session result is persisted before
 * any packet it produced is sent, so acknowledgements follow durable writes.
 */
import {
  MqttProtocolError,
  MqttStream,
  connect,
  connectFailure,
  connectionLost,
  createSession,
  deliver,
  encode,
  handlePacket,
  nextDeadline,
  protocolError,
  takeover,
  tick,
  touch,
  type ConnectPacket,
  type Message,
  type MqttPacket,
  type SessionContext,
  type SessionResult,
  type SessionState,
} from "../../protocols/mqtt";
import { closeQuietly, type MqttAttachment } from "./sockets";
import { subscriptionChanges } from "./mqtt-subscriptions";
import type { MqttServices } from "./mqtt-services";
import { logText, logError } from "../../protocols/log-text";

const SESSION_KEY = "mqtt_session";
const CHANNELS_KEY = "mqtt_channels";
/** lastActivity is persisted at most this often when nothing else changed (keep-alive after hibernation). */
const ACTIVITY_PERSIST_MS = 5_000;

/** Packets to send to a socket once `ready` (their writes are durable), then maybe close. */
interface Outgoing {
  packets: MqttPacket[];
  version: number;
  ready: Promise<void> | null;
  close: number | null;
}

export class MqttHost {
  private readonly streams = new Map<WebSocket, MqttStream>();
  /** Packets waiting for their group commit, per socket, in production order. */
  private readonly outgoing = new Map<WebSocket, Outgoing[]>();
  /** Pending events: the client's own packets first, then deliveries routed to it. */
  private readonly urgent: (() => Promise<void>)[] = [];
  private readonly routine: (() => Promise<void>)[] = [];
  private busy = false;
  private state: SessionState | null = null;
  private persistedActivity = 0;
  private batching = false;
  private unsaved = false;

  constructor(private readonly svc: MqttServices) {}

  /**
   * Runs `fn` when no other event is being handled: the session changes one event at a time.
   * The client's own packets go before queued deliveries, so its PUBACKs keep freeing the
   * in-flight window while a burst of channel messages waits (bounded work per event).
   */
  private run<T>(fn: () => Promise<T>, urgent = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (urgent ? this.urgent : this.routine).push(() => fn().then(resolve, reject));
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let job = this.urgent.shift() ?? this.routine.shift(); job; job = this.urgent.shift() ?? this.routine.shift()) await job();
    } finally {
      this.busy = false;
    }
  }

  private session(): SessionState {
    this.state ??= this.svc.store.getMeta<SessionState>(SESSION_KEY) ?? createSession(this.svc.deviceId, this.svc.limits);
    return this.state;
  }

  private context(att?: MqttAttachment): SessionContext {
    return this.svc.context(att?.mqtt.channels ?? this.svc.store.getMeta<string[]>(CHANNELS_KEY));
  }

  /** The socket of the connected session, if any. */
  private current(): WebSocket | null {
    return this.svc.sockets().find((ws) => (ws.deserializeAttachment() as MqttAttachment).mqtt.stage === "connected") ?? null;
  }

  /** Bytes from an MQTT socket: reassemble packets and run each through the session. */
  onMessage(ws: WebSocket, data: ArrayBuffer | string): Promise<void> {
    return this.run(async () => {
      const att = ws.deserializeAttachment() as MqttAttachment;
      if (typeof data === "string") return this.fail(ws, att, new MqttProtocolError(0x81, "MQTT needs binary frames", att.mqtt.version ?? undefined));
      let stream = this.streams.get(ws);
      if (!stream) {
        const connected = att.mqtt.stage === "connected";
        stream = new MqttStream({ role: "server", connected, ...(connected && att.mqtt.version ? { protocolVersion: att.mqtt.version } : {}) });
        this.streams.set(ws, stream);
      }
      let packets: MqttPacket[];
      let error: MqttProtocolError | null = null;
      try {
        packets = stream.push(new Uint8Array(data));
      } catch (err) {
        if (!(err instanceof MqttProtocolError)) throw err;
        packets = err.packets;
        error = err;
      }
      for (const p of packets) {
        if (att.mqtt.stage === "connecting") {
          if (p.type === "connect") await this.onConnect(ws, att, p);
        } else {
          this.state = touch(this.session(), Date.now());
          // A PUBACK only retires a QoS 1 message: losing that write means a resend, which
          // QoS 1 allows, so it is saved with the next write instead of rewriting the session.
          await this.apply(ws, handlePacket(this.session(), p, this.context(att), Date.now()), undefined, p.type === "puback");
        }
      }
      if (error) await this.fail(ws, att, error);
    });
  }

  private async fail(ws: WebSocket, att: MqttAttachment, error: MqttProtocolError): Promise<void> {
    if (att.mqtt.stage === "connected") return this.apply(ws, protocolError(this.session(), error, Date.now()));
    const f = connectFailure(error);
    this.send(ws, f.out, error.protocolVersion ?? 4);
    closeQuietly(ws, 1002, "protocol error");
  }

  private async onConnect(ws: WebSocket, att: MqttAttachment, p: ConnectPacket): Promise<void> {
    const now = Date.now();
    const ok = att.mqtt.relayed || (await this.svc.checkPassword(p.password, att.mqtt.hashes));
    const ctx = this.context(att);
    if (ok) {
      // One live connection per device: the older MQTT socket gets DISCONNECT 0x8E, others a notice.
      const old = this.current();
      if (old && old !== ws) await this.apply(old, takeover(this.session(), now));
      this.svc.closeOtherProtocols();
    }
    // A relayed connection's keep-alive is enforced by the Worker that holds the socket and
    // answers its PINGREQs; the session here must not time it out.
    const packet = att.mqtt.relayed ? { ...p, keepAlive: 0 } : p;
    const r = connect(this.session(), packet, ok ? { ok: true } : { ok: false, reason: "bad-credentials" }, ctx, now);
    if (r.state.connected) {
      att.mqtt = { ...att.mqtt, stage: "connected", version: p.protocolVersion, hashes: [] };
      ws.serializeAttachment(att);
      this.svc.store.setMeta(CHANNELS_KEY, att.mqtt.channels);
      this.svc.presence(true, att.remote);
    }
    await this.apply(ws, r, p.protocolVersion);
  }

  /** The socket closed (or errored): the session goes offline and its will may fire. */
  onClose(ws: WebSocket): Promise<void> {
    return this.run(async () => {
      this.streams.delete(ws);
      const att = ws.deserializeAttachment() as MqttAttachment | null;
      if (att?.mqtt.stage !== "connected" || this.current() !== null && this.current() !== ws) return;
      att.mqtt.stage = "closed";
      ws.serializeAttachment(att);
      if (this.session().connected) await this.apply(null, connectionLost(this.session(), Date.now()));
      this.svc.presence(false, att.remote);
    });
  }

  /** Messages routed to this session (channel fan-out, shadow events): stored in the session, sent if online. */
  deliver(messages: readonly Message[]): Promise<void> {
    return this.run(async () => {
      // One write for the batch: the caller (a channel's outbox) keeps the messages until this
      // resolves, so sending before the batch's write still delivers at least once.
      this.batching = true;
      try {
        for (const m of messages) await this.deliverNow(m);
      } finally {
        this.batching = false;
        if (this.unsaved && this.state) this.save(this.state);
      }
    }, false);
  }

  private save(state: SessionState): void {
    this.svc.store.setMeta(SESSION_KEY, state);
    this.persistedActivity = Date.now();
    this.unsaved = false;
  }

  private async deliverNow(message: Message, retainedFor?: string): Promise<void> {
    const ws = this.current();
    const att = ws ? (ws.deserializeAttachment() as MqttAttachment) : undefined;
    await this.apply(ws, deliver(this.session(), message, this.context(att), Date.now(), retainedFor ? { retainedFor } : {}));
  }

  /** Keep-alive, will delay and session expiry deadlines. */
  onAlarm(): Promise<void> {
    return this.run(async () => {
      if (!this.svc.store.getMeta<SessionState>(SESSION_KEY) && !this.state) return;
      await this.apply(this.current(), tick(this.session(), Date.now()));
    });
  }

  /** A JSON or CoAP connection of the device took over: the MQTT connection ends (DISCONNECT 0x8E). */
  yieldToOtherProtocol(): Promise<void> {
    return this.run(async () => {
      const ws = this.current();
      if (ws) await this.apply(ws, takeover(this.session(), Date.now()));
    });
  }

  /** Forgets the session (the device was deleted). */
  reset(): void {
    this.state = null;
    this.streams.clear();
  }

  /**
   * Persists a result, then sends what it produced, then performs its effects. Channel
   * subscriptions are registered with the channels before the SUBACK leaves.
   */
  private async apply(ws: WebSocket | null, r: SessionResult, version = r.state.protocolVersion, lazy = false): Promise<void> {
    const before = this.state ?? r.state;
    this.state = r.state;
    const now = Date.now();
    if (r.persist || now - this.persistedActivity > ACTIVITY_PERSIST_MS) {
      if (this.batching || (lazy && now - this.persistedActivity <= ACTIVITY_PERSIST_MS)) this.unsaved = true;
      else this.save(r.state);
    }
    await this.syncSubscriptions(before, r.state);
    const acks: MqttPacket[] = [];
    const durable: Promise<void>[] = [];
    const later: Message[] = [];
    let close: number | null = null;
    let ended = false;
    for (const e of r.effects) {
      switch (e.type) {
        case "publish": {
          const routed = await this.svc.route(e.message, later);
          if (routed.durable) durable.push(routed.durable);
          if (e.ack) acks.push(routed.reason !== 0 && "reasonCode" in e.ack && version === 5 ? { ...e.ack, reasonCode: routed.reason } : e.ack);
          break;
        }
        case "deliverRetained":
          for (const m of await this.svc.retained(e.filter)) later.push({ ...m, retain: true, origin: `retained:${e.filter}` });
          break;
        case "dropped":
          console.warn(`DeviceObject ${this.svc.deviceId}: MQTT message on ${logText(e.topic)} dropped (${logText(e.reason)})`);
          break;
        case "close":
          close = e.reasonCode;
          break;
        case "sessionEnded":
          ended = true;
          break;
      }
    }
    if (!ws) for (const d of durable) d.catch((err: unknown) => console.error(`MQTT ${this.svc.deviceId}: routing failed: ${logError(err)}`));
    if (ws) {
      if (close !== null) this.streams.delete(ws);
      const ready = durable.length === 0 ? null : Promise.all(durable).then(() => undefined);
      this.sendInOrder(ws, { packets: [...r.out, ...acks], version, ready, close });
    }
    if (ended) {
      // The session is gone: so are its subscriptions wherever they were registered.
      for (const sub of [...before.subscriptions, ...r.state.subscriptions]) await this.svc.unsubscribe(sub.filter);
      this.svc.store.setMeta(SESSION_KEY, null);
      this.state = null;
    }
    for (const m of later) {
      const retainedFor = m.origin?.startsWith("retained:") ? m.origin.slice(9) : undefined;
      await this.deliverNow(retainedFor ? { ...m, origin: undefined } : m, retainedFor);
    }
    await this.svc.scheduleAlarm(this.state ? nextDeadline(this.state) : null);
  }

  private async syncSubscriptions(before: SessionState, after: SessionState): Promise<void> {
    const { added, removed } = subscriptionChanges(before.subscriptions, after.subscriptions);
    for (const f of added) await this.svc.subscribe(f);
    for (const f of removed) await this.svc.unsubscribe(f);
  }

  /**
   * Sends packets to a socket in the order they were produced, each batch only once the
   * writes it acknowledges are durable (group commit), without holding up other events:
   * PUBACKs keep the order of their PUBLISHes [MQTT-4.6.0-2].
   */
  private sendInOrder(ws: WebSocket, item: Outgoing): void {
    let queue = this.outgoing.get(ws);
    if (!queue && item.ready === null) return this.flushOutgoing(ws, item);
    if (!queue) {
      queue = [];
      this.outgoing.set(ws, queue);
    }
    queue.push(item);
    if (queue.length === 1) void this.drainOutgoing(ws, queue);
  }

  private async drainOutgoing(ws: WebSocket, queue: Outgoing[]): Promise<void> {
    while (queue.length > 0) {
      const item = queue[0]!;
      let failed = false;
      if (item.ready) await item.ready.catch(() => (failed = true));
      queue.shift();
      // A failed write is never acknowledged: the connection ends and the client resends.
      this.flushOutgoing(ws, failed ? { ...item, packets: [], close: 0x80 } : item);
    }
    this.outgoing.delete(ws);
  }

  private flushOutgoing(ws: WebSocket, item: Outgoing): void {
    this.send(ws, item.packets, item.version);
    if (item.close !== null) closeQuietly(ws, item.close < 0x80 ? 1000 : 1002, `mqtt 0x${item.close.toString(16)}`);
  }

  private send(ws: WebSocket, packets: MqttPacket[], version: number): void {
    for (const p of packets) {
      try {
        ws.send(encode(p, version === 3 || version === 5 ? version : 4));
      } catch {
        return;
      }
    }
  }
}
