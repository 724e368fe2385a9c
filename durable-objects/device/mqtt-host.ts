/**
 * The MQTT side of an object: one persistent session (a device's, client id = device id, or
 * an app's), driven by the pure session machine in `protocols/mqtt`. Sockets are hibernatable
 * (tag "mqtt"); events are processed one at a time; a session result is persisted before
 * any packet it produced is sent, so acknowledgements follow durable writes.
 */
import {
  MqttProtocolError, MqttStream, authorize, connect, connectFailure, connectionLost, createSession, disconnectClient, deliver, deliverAll,
  fitsClient, handlePacket, handlePubacks, nextDeadline, protocolError, releaseRefused, revalidate, revokeConnection, takeover, tick, topicMatches, touch,
  type ConnectPacket, type ProtocolVersion, type Message, type MqttPacket, type SessionResult, type SessionState,
} from "../../protocols/mqtt";
import { closeQuietly, type MqttAttachment } from "./sockets";
import { OutgoingQueues, sendPackets } from "./mqtt-outgoing";
import { syncSubscriptions } from "./mqtt-subscriptions";
import type { MqttServices } from "./mqtt-services";
import { MqttSessionStore } from "./mqtt-session-store";
import { Qos2Receipts } from "./mqtt-qos2";
import { routePublish, type PublishContext } from "./mqtt-publish";
import { DeliveryIntake, type IntakeBatch } from "./mqtt-intake";
import type { DeliveryMark, Marks } from "../shared/delivery-marks";
import { SessionEvents } from "./mqtt-events";
import { LazyFlush } from "./lazy-flush";
import { logText, logError } from "../../protocols/log-text";

/** lastActivity is persisted at most this often when nothing else changed (keep-alive after hibernation). */
const ACTIVITY_PERSIST_MS = 5_000;
const NO_RETAINED: ReadonlyMap<string, Message[]> = new Map();

export class MqttHost {
  private readonly streams = new Map<WebSocket, MqttStream>();
  /** Packets waiting for their group commit, per socket, in production order. */
  private readonly outgoing = new OutgoingQueues();
  /**
   * The session changes one event at a time. After each (a client's socket message: every packet
   * in it), what it added to a batched write goes, even if it failed half-way (MqttServices.burstDone).
   */
  private readonly events = new SessionEvents(() => this.svc.burstDone?.());
  private state: SessionState | null = null;
  private store: MqttSessionStore;
  private receipts: Qos2Receipts;
  private persistedActivity = 0;
  /** Lazy changes left unwritten are written within a second when no other write takes them. */
  private readonly lazy = new LazyFlush(() => void this.events.run(async () => this.state && this.save(this.state)));
  /** The deadline last handed to the alarm scheduler (undefined: none yet). */
  private scheduled: number | null | undefined = undefined;
  /** Outbox marks of the delivered batch being stored: recorded right after the write that stores it. */
  private marks: Marks | null = null;
  private readonly intake = new DeliveryIntake({
    state: () => this.state,
    store: (take) => this.storeDeliveries(take),
    durable: () => this.svc.durable(),
    roomWaitMs: () => this.svc.roomWaitMs,
  });

  constructor(private readonly svc: MqttServices) {
    this.store = new MqttSessionStore(svc.sql, svc.store);
    this.receipts = new Qos2Receipts(svc.sql, svc.store);
  }

  private session(): SessionState {
    this.state ??= this.store.load() ?? createSession(this.svc.deviceId, this.svc.limits);
    return this.state;
  }

  /** The socket of the connected session, if any. */
  private current(): WebSocket | null {
    return this.svc.sockets().find((ws) => (ws.deserializeAttachment() as MqttAttachment).mqtt.stage === "connected") ?? null;
  }

  /** Bytes from an MQTT socket: reassemble packets and run each through the session. */
  onMessage(ws: WebSocket, data: ArrayBuffer | string): Promise<void> {
    return this.events.run(async () => {
      const att = ws.deserializeAttachment() as MqttAttachment;
      if (typeof data === "string") return this.fail(ws, att, new MqttProtocolError(0x81, "MQTT needs binary frames", att.mqtt.version ?? undefined));
      let stream = this.streams.get(ws);
      if (!stream) {
        const connected = att.mqtt.stage === "connected";
        // The edge framed the packet under the same MQTT_MAX_PACKET_BYTES (the codec's default is 256 KiB).
        stream = new MqttStream({ role: "server", connected, maximumPacketSize: this.svc.limits.maximumPacketSize, ...(connected && att.mqtt.version ? { protocolVersion: att.mqtt.version } : {}) });
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
      for (let i = 0; i < packets.length; i++) {
        const p = packets[i]!;
        if (att.mqtt.stage === "connecting") {
          if (p.type === "connect") await this.onConnect(ws, att, p);
          continue;
        }
        this.state = touch(this.session(), Date.now());
        if (p.type === "puback") {
          // A run of PUBACKs (a client acknowledges a burst together) is one step of the session.
          // Retiring a QoS 1 message may be lost (then it is resent with DUP, as QoS 1 allows), so it
          // is saved with the next write instead of rewriting the session (lazy). Not so when the
          // freed window sends queued messages: they must be stored as in flight before they leave,
          // or after a crash they would go out again from the queue as new PUBLISHes, without DUP.
          const ids = [p.packetId];
          for (let next = packets[i + 1]; next?.type === "puback"; next = packets[i + 1]) {
            ids.push(next.packetId);
            i++;
          }
          const r = handlePubacks(this.session(), ids, Date.now());
          await this.apply(ws, r, undefined, !r.out.some((o) => o.type === "publish"));
          continue;
        }
        await this.apply(ws, handlePacket(this.session(), p, this.svc.context(), Date.now()), undefined, false, p.type === "publish");
      }
      if (error) await this.fail(ws, att, error);
    });
  }

  private async fail(ws: WebSocket, att: MqttAttachment, error: MqttProtocolError): Promise<void> {
    if (att.mqtt.stage === "connected") return this.apply(ws, protocolError(this.session(), error, Date.now()));
    const f = connectFailure(error);
    sendPackets(ws, f.out, error.protocolVersion ?? 4);
    closeQuietly(ws, 1002, "protocol error");
  }

  private async onConnect(ws: WebSocket, att: MqttAttachment, p: ConnectPacket): Promise<void> {
    const now = Date.now();
    const ctx = this.svc.context();
    // The edge Worker authenticated CONNECT before opening this link. One live connection per
    // device: the older MQTT connection gets DISCONNECT 0x8E, other protocols a notice.
    const old = this.current();
    if (old && old !== ws) await this.apply(old, takeover(this.session(), now));
    this.svc.closeOtherProtocols();
    // Keep-alive is enforced by the edge, which holds the client's socket and answers its
    // PINGREQs; the session here answers it (Server Keep Alive) but must not time it out.
    const answered = connect(this.session(), p, { ok: true }, ctx, now);
    const r = { ...answered, state: { ...answered.state, keepAlive: 0 } };
    // A session that does not resume starts empty: whatever the old one held is gone.
    if (r.state.connected && r.out.some((o) => o.type === "connack" && !o.sessionPresent)) this.svc.sessionLost?.();
    if (r.state.connected) {
      att.mqtt = { ...att.mqtt, stage: "connected", version: p.protocolVersion };
      ws.serializeAttachment(att);
      this.svc.presence(true, att.remote, true);
    }
    await this.apply(ws, r, p.protocolVersion);
  }

  /**
   * The socket closed (or errored): the session goes offline and its will may fire. `closedNow`
   * false: the edge closed it for the device's silence (keep-alive), not the device.
   */
  onClose(ws: WebSocket, closedNow = true): Promise<void> {
    return this.events.run(async () => {
      this.streams.delete(ws);
      const att = ws.deserializeAttachment() as MqttAttachment | null;
      if (att?.mqtt.stage !== "connected" || this.current() !== null && this.current() !== ws) return;
      att.mqtt.stage = "closed";
      ws.serializeAttachment(att);
      if (this.session().connected) await this.apply(null, connectionLost(this.session(), Date.now()));
      this.svc.presence(false, att.remote, closedNow);
    });
  }

  /**
   * A session stored as connected with no link left (the hub stopped under it: no close event came)
   * lost its connection: will and expiry as for any close without DISCONNECT. True while still connected.
   */
  settleLost(): Promise<boolean> {
    return this.events.run(async () => {
      if (!(this.state ? this.state.exists : this.store.exists())) return false;
      if (!this.session().connected) return false;
      // Any socket, even one still before its CONNECT: that CONNECT takes the session over itself.
      if (this.svc.sockets().length > 0) return true;
      await this.apply(null, connectionLost(this.session(), Date.now()));
      return false;
    });
  }

  /**
   * Messages routed to this session (channel fan-out, shadow events): stored in the session, sent
   * if online; resolves once stored. In batches, and no faster than the client takes them
   * (mqtt-intake.ts).
   */
  deliver(messages: readonly Message[], mark?: DeliveryMark): Promise<void> {
    return this.intake.deliver(messages, mark);
  }

  /** Stores one batch of deliveries in one run and one write (for the intake). */
  private storeDeliveries(take: () => IntakeBatch): Promise<void> {
    return this.events.run(async () => {
      // One step of the session for the whole batch (deliverAll): the queue copied once, the socket
      // looked up once (that reads every socket's attachment), one write, and the batch's PUBLISHes
      // leave in one message. The caller (an outbox) keeps the messages until this resolves.
      const batch = take();
      const r = deliverAll(this.session(), batch.messages, this.svc.context(), Date.now());
      this.marks = batch.marks.size > 0 ? batch.marks : null;
      try {
        await this.apply(this.current(), r);
        this.recordMarks(); // nothing was written for the session (all dropped, or QoS 0): the marks alone
      } finally {
        this.marks = null;
      }
    }, false);
  }

  private recordMarks(): void {
    if (this.marks) this.svc.marks.record(this.marks);
    this.marks = null;
  }

  private save(state: SessionState): void {
    const now = Date.now();
    if (this.store.save(state, now - this.persistedActivity > ACTIVITY_PERSIST_MS)) this.persistedActivity = now;
    this.lazy.written();
    this.recordMarks();
  }

  private async deliverNow(message: Message, retainedFor?: string): Promise<void> {
    await this.apply(this.current(), deliver(this.session(), message, this.svc.context(), Date.now(), retainedFor ? { retainedFor } : {}));
  }

  /**
   * The session's access changed (a policy, a channel or group membership, the device's tags
   * or attributes): subscriptions the new policy no longer allows are dropped at once (and
   * unregistered from the shards); publishes and deliveries are checked against it from now on.
   */
  accessChanged(): Promise<void> {
    return this.events.run(async () => {
      if (!(this.state ? this.state.exists : this.store.exists())) return;
      await this.apply(this.current(), revalidate(this.session(), this.svc.context(), Date.now()));
    });
  }

  /** The connected client: its socket and protocol version, or null when none is connected. */
  connected(): { socket: WebSocket; version: ProtocolVersion } | null {
    const socket = this.current();
    if (!socket) return null;
    const state = this.session();
    return state.connected ? { socket, version: state.protocolVersion } : null;
  }

  /** Whether a PUBLISH of `message` fits the connected client's Maximum Packet Size (else it is dropped unsent). */
  fits(message: Message): boolean {
    return fitsClient(this.session(), message, Date.now());
  }

  /** Whether an ordinary subscription matches `topic` (state in memory; own-topics.ts serves `$share/…` groups). */
  wants(topic: string): boolean {
    const state = this.session();
    return state.exists && state.subscriptions.some((sub) => topicMatches(sub.filter, topic));
  }

  /** Keep-alive, will delay and session expiry deadlines. */
  onAlarm(): Promise<void> {
    return this.events.run(async () => {
      // Our deadline is handed to the scheduler again below even if unchanged (it is due, or was).
      this.scheduled = undefined;
      if (!this.state && !this.store.stored()) return;
      await this.apply(this.current(), tick(this.session(), Date.now()));
    });
  }

  /**
   * Ends the current connection if `matches` its attachment (its credential was revoked or
   * expired, or the client was disabled): v5 DISCONNECT `reasonCode`, then the close; with
   * `end`, the session is dropped too. Resolves true when a connection was ended.
   */
  revoke(reasonCode: number, end: boolean, matches: (att: MqttAttachment) => boolean = () => true): Promise<boolean> {
    return this.events.run(async () => {
      const ws = this.current();
      const att = ws ? (ws.deserializeAttachment() as MqttAttachment) : null;
      if (!ws || !att || !matches(att)) {
        if (end && (this.state ? this.state.exists : this.store.exists())) await this.apply(null, revokeConnection(this.session(), reasonCode, Date.now(), true));
        return false;
      }
      await this.apply(ws, revokeConnection(this.session(), reasonCode, Date.now(), end));
      return true;
    });
  }

  /** A JSON or CoAP connection of the device took over: the MQTT connection ends (DISCONNECT 0x8E). */
  yieldToOtherProtocol(): Promise<void> {
    return this.events.run(async () => {
      const ws = this.current();
      if (ws) await this.apply(ws, takeover(this.session(), Date.now()));
    });
  }

  /** Forgets the session (the device was deleted). */
  reset(): void {
    this.state = null;
    this.streams.clear();
    // The object's storage was erased: the session's tables are made again, empty.
    this.store = new MqttSessionStore(this.svc.sql, this.svc.store);
    this.receipts = new Qos2Receipts(this.svc.sql, this.svc.store);
  }

  /**
   * Persists a result, then sends what it produced, then performs its effects. Channel
   * subscriptions are registered with the channels before the SUBACK leaves.
   */
  private async apply(ws: WebSocket | null, r: SessionResult, version = r.state.protocolVersion, lazy = false, inbound = false): Promise<void> {
    const before = this.state ?? r.state;
    this.state = r.state;
    this.intake.stateChanged();
    const now = Date.now();
    // A lazy change (a PUBACK retiring a QoS 1 message) is written with the next write instead.
    const write = now - this.persistedActivity > ACTIVITY_PERSIST_MS || (r.persist && !lazy);
    if (!write && r.persist) this.lazy.pending();
    // A will (no client will send it again) is routed before the state that forgets it is written:
    // a hub that dies in between publishes it after its restart instead of never.
    const willsFirst = ws === null && r.effects.some((e) => e.type === "publish");
    if (write && !willsFirst) this.save(r.state);
    // QoS 2 ids taken or released, numbered in the same write. It is durable before their messages
    // go: a call to another object waits for it (the output gate), a later write here commits after it.
    const taken = this.receipts.follow(before.awaitingRelease, r.state.awaitingRelease);
    const retained = before.subscriptions === r.state.subscriptions ? NO_RETAINED : await syncSubscriptions(this.svc, before.subscriptions, r.state.subscriptions);
    // New subscriptions, or a (re)connected session: what waits for the client may go out now.
    if (r.state.connected && (retained.size > 0 || !before.connected)) this.svc.ready?.();
    const acks: MqttPacket[] = [];
    const durable: Promise<void>[] = [];
    const later: Message[] = [];
    let close: number | null = null;
    let ended = false;
    const refused: number[] = [];
    const context: PublishContext = { inbound, now, version, taken, later };
    for (const e of r.effects) {
      switch (e.type) {
        case "publish": {
          // A will goes out only if the client may publish it now (rights change after CONNECT), as mosquitto's does.
          if (e.will && !authorize(this.svc.context().policy, this.svc.context().variables, "publish", e.message.topic)) {
            console.warn(`MQTT ${logText(this.svc.deviceId)}: will on ${logText(e.message.topic)} not published (no longer allowed)`);
            break;
          }
          const p = await routePublish(this.svc, this.receipts, e, context);
          if (p?.ack) acks.push(p.ack);
          if (p) durable.push(...p.waits);
          if (p?.ack?.type === "pubrec" && (p.ack.reasonCode ?? 0) >= 0x80) refused.push(p.ack.packetId);
          break;
        }
        case "deliverRetained":
          for (const m of retained.get(e.filter) ?? (await this.svc.retained(e.filter))) later.push({ ...m, retain: true, origin: `retained:${e.filter}` });
          break;
        case "dropped":
          console.warn(`MQTT ${logText(this.svc.deviceId)}: message on ${logText(e.topic)} dropped (${e.reason})`);
          break;
        case "close":
          close = e.reasonCode;
          break;
        case "sessionEnded":
          ended = true;
          break;
      }
    }
    const routed = ws ? [] : durable.map((d) => d.catch((err: unknown) => console.error(`MQTT ${logText(this.svc.deviceId)}: routing failed: ${logError(err)}`)));
    if (willsFirst) {
      this.svc.burstDone?.(); // a will to the device's own telemetry waits in the batch for this call
      await Promise.all(routed);
    }
    if (write && willsFirst) this.save(r.state);
    if (ws) {
      if (close !== null) this.streams.delete(ws);
      // One write (a group commit shared by a burst of PUBLISHes) is its own promise: the outgoing
      // queue then sends the burst's acknowledgements together without asking each item.
      const ready = durable.length === 0 ? null : durable.length === 1 ? durable[0]! : Promise.all(durable).then(() => undefined);
      this.outgoing.send(ws, { packets: r.out.length === 0 ? acks : [...r.out, ...acks], version, ready, close, acks: ready ? acks.length : 0 });
      // Past its refusals (SenderRate) → 0x96; v5 §3.3.4: more unacknowledged QoS 1/2 than our Receive Maximum → 0x93.
      const over = close !== null ? null : context.flooding ? 0x96 : this.outgoing.pendingAcks(ws) > this.maxPendingAcks() ? 0x93 : null;
      if (over !== null) {
        await this.apply(ws, disconnectClient(this.session(), over, now));
        return;
      }
    }
    if (refused.length > 0) await this.apply(null, releaseRefused(this.session(), refused));
    if (ended) {
      // The session is gone: so are its subscriptions wherever they were registered.
      const filters = [...new Set([...before.subscriptions, ...r.state.subscriptions].map((s) => s.filter))];
      if (filters.length) await this.svc.unsubscribe(filters);
      this.store.clear();
      this.state = null;
      this.svc.sessionLost?.();
    }
    for (const m of later) {
      const retainedFor = m.origin?.startsWith("retained:") ? m.origin.slice(9) : undefined;
      await this.deliverNow(retainedFor ? { ...m, origin: undefined } : m, retainedFor);
    }
    // Deadlines (will delay, session expiry) rarely move: the alarm is touched only when one did.
    const deadline = this.state ? nextDeadline(this.state) : null;
    if (deadline !== this.scheduled) {
      this.scheduled = deadline;
      await this.svc.scheduleAlarm(deadline);
    }
  }

  /** Our Receive Maximum for v5 clients; a generous cap for 3.1.1, which has none. */
  private maxPendingAcks(): number {
    const s = this.session();
    return s.protocolVersion === 5 ? s.limits.receiveMaximum : this.svc.maxPendingAcks;
  }
}
