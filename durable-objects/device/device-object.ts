/**
 * DeviceObject: one per device (`idFromName(deviceId)`), SQLite-backed. All state of a device
 * lives here and changes one event at a time; device and app sockets use the hibernation API,
 * with per-socket state in their attachment so it survives hibernation.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { JsonObject } from "../../protocols/json-value";
import type { HubMessage } from "../../protocols/json/messages";
import { DEFAULT_DEVICE_POLICY, type Message, type SessionContext } from "../../protocols/mqtt";
import { shadowDelta } from "../../protocols/json/encode";
import { deviceConfig, type DeviceConfig } from "./config";
import { DeviceStore, type LatestValue, type TelemetryRow } from "./store";
import type { BucketQuery, KeyBuckets } from "./telemetry-buckets";
import { SseClients, type DeviceEvent, type DeviceEventType } from "./events";
import { openDeltas, runShadow, type ShadowOutcome } from "./shadow-service";
import { handleJsonFrame, jsonPushes } from "./json-device";
import type { ShadowDocument } from "../../shadow/shadow";
import { acceptMqttSocket, closeQuietly, credentialOf, deviceSockets, mqttAttachment, type Attachment, type DeviceProtocol, type JsonAttachment, type MqttAttachment } from "./sockets";
import { AlarmScheduler } from "../shared/alarms";
import { TokenBucket } from "../shared/token-bucket";
import { CredentialWatch } from "./credential-watch";
import { readPresence, statusOf, type DeviceStatus, type Presence } from "./presence";
import { MqttHost } from "./mqtt-host";
import { mqttServices, shadowMessages } from "./mqtt-routing";
import { GroupCommit } from "../shared/group-commit";
import { ShardClient } from "../routing/shard-client";
import { OwnTopics } from "./own-topics";
import type { ShardSubscription } from "../topic/store";
import { topicClass } from "../topic/shards";
import { logText, logError } from "../../protocols/log-text";

export type { DeviceStatus } from "./presence";

/** A shadow reply for HTTP: the status code and the AWS-shaped body. */
export interface ShadowReply {
  status: number;
  body: Record<string, unknown>;
}

/** Query of stored telemetry. */
export interface TelemetryQuery {
  from: number;
  to: number;
  limit: number;
  after: { ts: number; seq: number } | null;
}

/** The protocol a JSON-speaking socket stands for: a device, or the Worker's link for a CoAP connection. */
function linkProtocol(header: string | null): "json" | "coap" {
  return header === "coap" ? "coap" : "json";
}

const ACCESS_KEY = "mqtt_access";

/** The access the edge Worker computed at CONNECT (header `x-umbra-access`), or null. */
function parseAccess(header: string | null): SessionContext | null {
  if (!header) return null;
  try {
    const v = JSON.parse(header) as SessionContext;
    return Array.isArray(v.policy) && typeof v.variables === "object" && v.variables !== null ? v : null;
  } catch {
    return null;
  }
}

const encoder = new TextEncoder();

export class DeviceObject extends DurableObject<Env> {
  private readonly store: DeviceStore;
  private readonly config: DeviceConfig;
  private readonly sse = new SseClients();
  private readonly mqtt: MqttHost;
  private readonly shards: ShardClient;
  private readonly own: OwnTopics;
  /** MQTT telemetry, written in one transaction per batch before its PUBACKs leave. */
  private readonly telemetryCommit: GroupCommit<{ row: TelemetryRow; message: Message }>;
  private readonly alarms: AlarmScheduler;
  private readonly credentials: CredentialWatch;
  /** The device's message rate, across its protocols. */
  private readonly rate: TokenBucket;
  private accessCache: SessionContext | null = null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastSeen = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeviceStore(ctx.storage.sql);
    this.config = deviceConfig(env as unknown as Record<string, unknown>);
    this.store.migrate();
    this.alarms = new AlarmScheduler(ctx.storage);
    this.rate = new TokenBucket(this.config.rate.perSecond, this.config.rate.burst, Date.now());
    this.shards = new ShardClient(env, "default");
    this.own = new OwnTopics(env, ctx.storage.sql, () => this.deviceId, this.shards, this.alarms);
    this.credentials = new CredentialWatch(this.store, this.alarms, (id, why) => this.endConnections((a) => a.credentialId === id, why));
    this.telemetryCommit = new GroupCommit((items) =>
      ctx.storage.transactionSync(() =>
        this.storeTelemetry(
          items.map((i) => i.row),
          items.map((i) => i.message),
        ),
      ),
    );
    const self = this;
    this.mqtt = new MqttHost(
      mqttServices({
        get deviceId() {
          return self.deviceId;
        },
        env,
        store: this.store,
        ctx,
        mqttLimits: this.config.mqtt,
        rate: this.rate,
        maxPendingAcks: this.config.maxPendingAcks,
        access: () => this.access(),
        shadow: (name, input, mqttSelf) => this.applyShadow(name, input, mqttSelf),
        telemetryBatched: (items) => this.telemetryCommit.add(items),
        selfDeliver: (messages) => this.selfDeliver(messages),
        own: this.own,
        shards: this.shards,
        presence: (connected, remote) => this.markPresence(connected, "mqtt", remote),
        alarms: this.alarms,
        closeJsonSockets: () => this.closeJsonSockets(),
      }),
    );
  }

  private get deviceId(): string {
    return this.ctx.id.name ?? this.store.getMeta<string>("deviceId") ?? "unknown";
  }

  // ---- HTTP entry: socket upgrades and SSE, reached only through the Worker ------------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const deviceId = request.headers.get("x-umbra-device");
    if (deviceId && !this.ctx.id.name && this.store.getMeta<string>("deviceId") !== deviceId) this.store.setMeta("deviceId", deviceId);
    try {
      if (url.pathname === "/connect/json") return await this.acceptJson(request, linkProtocol(request.headers.get("x-umbra-protocol")));
      if (url.pathname === "/connect/mqtt") return this.acceptMqtt(request);
      if (url.pathname === "/events") return this.openStream(request);
      return new Response("not found", { status: 404 });
    } catch (err) {
      console.error(`DeviceObject ${this.deviceId} fetch ${logText(url.pathname)}: ${logError(err)}`);
      return new Response("internal error", { status: 500 });
    }
  }

  private async acceptJson(request: Request, protocol: "json" | "coap"): Promise<Response> {
    // One live connection per device: the newest wins, the older is told why in the protocol
    // itself (workerd may hold the TCP connection open after a server-initiated close).
    this.closeJsonSockets();
    await this.mqtt.yieldToOtherProtocol();
    const pair = new WebSocketPair();
    const now = Date.now();
    const remote = request.headers.get("x-umbra-remote") || null;
    this.ctx.acceptWebSocket(pair[1], ["device"]);
    pair[1].serializeAttachment({ role: "device", protocol, connectedAt: now, remote, ...credentialOf(request) } satisfies Attachment);
    this.markPresence(true, protocol, remote);
    // Beyond AWS: the open delta reaches the device at once, no GET needed.
    for (const { name, delta } of openDeltas(this.store, now)) this.send(pair[1], shadowDelta(name, delta));
    const sub = request.headers.get("x-umbra-subprotocol");
    return new Response(null, { status: 101, webSocket: pair[0], headers: sub ? { "sec-websocket-protocol": sub } : {} });
  }

  private acceptMqtt(request: Request): Response {
    const access = parseAccess(request.headers.get("x-umbra-access"));
    if (access) this.setAccess(access);
    const attachment = mqttAttachment(request);
    return acceptMqttSocket(this.ctx, attachment, request);
  }

  private closeJsonSockets(): void {
    for (const old of deviceSockets(this.ctx)) {
      this.send(old, { type: "error", code: "session_taken_over", message: "replaced by a newer connection of this device" });
      closeQuietly(old, 4000, "replaced by a newer connection of this device");
    }
  }

  private openStream(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1], ["stream"]);
      pair[1].serializeAttachment({ role: "stream" } satisfies Attachment);
      return new Response(null, { status: 101, webSocket: pair[0] });
    }
    const res = this.sse.open(() => this.stopHeartbeatIfIdle());
    this.heartbeat ??= setInterval(() => this.sse.heartbeat(), 15_000);
    return res;
  }

  private stopHeartbeatIfIdle(): void {
    if (this.sse.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  // ---- hibernation callbacks ----------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.role !== "device") return;
    this.lastSeen = Date.now();
    try {
      await this.own.ready();
      if (a.protocol === "mqtt") return await this.mqtt.onMessage(ws, message);
      for (const reply of handleJsonFrame(this.jsonHost(), message, this.config, this.lastSeen)) this.send(ws, reply);
    } catch (err) {
      console.error(`DeviceObject ${this.deviceId} message: ${logError(err)}`);
      if (a.protocol === "mqtt") closeQuietly(ws, 1011, "internal error");
      else this.send(ws, { type: "error", code: "internal", message: "the message could not be processed" });
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Reciprocate the close so the client sees a clean close rather than 1006.
    closeQuietly(ws, code, "closed");
    await this.onSocketGone(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.onSocketGone(ws);
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    await this.mqtt.onAlarm();
    await this.credentials.onAlarm(Date.now());
    await this.own.onAlarm();
  }

  private async onSocketGone(ws: WebSocket): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.role !== "device") return;
    if (a.protocol === "mqtt") return this.mqtt.onClose(ws);
    if (deviceSockets(this.ctx).some((s) => s !== ws)) return; // taken over, still connected
    this.markPresence(false, a.protocol, a.remote);
  }

  // ---- RPC for the Worker and other objects ---------------------------------------------------

  /** Liveness probe. */
  async health(): Promise<{ ok: true; id: string }> {
    return { ok: true, id: this.ctx.id.toString() };
  }

  /** Connection status, as `GET /v1/devices/:id` shows it. */
  async status(): Promise<DeviceStatus> {
    return statusOf(readPresence(this.store), this.lastSeen);
  }

  /** Applies a shadow request (`{kind, state?, version?, clientToken?}`) from HTTP or CoAP. */
  async shadow(name: string, input: unknown): Promise<ShadowReply> {
    await this.own.ready();
    const outcome = this.applyShadow(name, input, null);
    const r = outcome.response;
    return { status: r.status === "rejected" ? r.body.code : 200, body: r.body as unknown as Record<string, unknown> };
  }

  /** Names of the live shadows (`""` is the classic shadow). */
  async shadowNames(): Promise<string[]> {
    return this.store.shadowNames();
  }

  /** Past versions of a shadow, oldest first. */
  async shadowHistory(name: string, fromVersion: number, limit: number): Promise<ShadowDocument[]> {
    return this.store.history(name, fromVersion, limit);
  }

  /** Stores telemetry samples (from HTTP or a protocol at the edge) and streams them. */
  async ingestTelemetry(rows: TelemetryRow[]): Promise<number> {
    await this.own.ready();
    this.storeTelemetry(rows);
    return rows.length;
  }

  /** Stored telemetry, oldest first. */
  async telemetry(q: TelemetryQuery) {
    return this.store.queryTelemetry(q.from, q.to, q.limit, q.after);
  }

  /** Stored telemetry aggregated per key in time buckets; no keys: every key the device has sent. */
  async telemetryBuckets(q: BucketQuery): Promise<KeyBuckets[]> {
    return this.store.buckets(q.keys.length ? q : { ...q, keys: Object.keys(this.store.latest()) });
  }

  /** The latest value of every telemetry key. */
  async latestTelemetry(): Promise<Record<string, LatestValue>> {
    return this.store.latest();
  }

  /**
   * Messages for this device, in order; resolves once stored. Those on the device's own topics
   * were published to it (an app's command): they also go to every session subscribed to
   * them. The rest are for its session's subscriptions (a shard's or another device's fan-out).
   */
  async deliverMessages(messages: Message[]): Promise<void> {
    await this.own.ready();
    const id = this.deviceId;
    const mine = messages.filter((m) => {
      const c = topicClass(m.topic);
      return c.kind === "device" && c.deviceId === id;
    });
    if (mine.length) this.own.publish(mine);
    await this.mqtt.deliver(messages);
  }

  /**
   * The device's MQTT access changed (a policy, an attachment, a channel or group membership,
   * its tags or attributes): live sessions follow at once.
   */
  async accessChanged(access: SessionContext): Promise<void> {
    this.setAccess(access);
    await this.mqtt.accessChanged();
  }

  private setAccess(access: SessionContext): void {
    this.accessCache = access;
    this.store.setMeta(ACCESS_KEY, access);
  }

  /** The device's MQTT policy and variables; the default policy until the registry said otherwise. */
  private access(): SessionContext {
    this.accessCache ??= this.store.getMeta<SessionContext>(ACCESS_KEY) ?? { policy: DEFAULT_DEVICE_POLICY, variables: { deviceId: this.deviceId, clientId: this.deviceId } };
    return this.accessCache;
  }

  /** The topic shard's push: the sessions subscribed to this device's topics changed. */
  async routesChanged(subs: ShardSubscription[]): Promise<void> {
    this.own.changed(subs);
  }

  /** Ends every connection of the device (it was disabled): MQTT DISCONNECT 0x98, JSON `error` + 4403, CoAP Abort. */
  async disconnect(reason: string): Promise<void> {
    await this.endConnections(() => true, "disabled", reason);
  }

  /**
   * A credential of this device was revoked (`at` null) or ends at `at` (rotation grace):
   * every connection opened with it ends then, on every protocol.
   */
  async credentialRevoked(credentialId: string, at: number | null): Promise<void> {
    await this.credentials.expire(credentialId, at);
  }

  /**
   * Ends the connections whose credential `matches`, each in its protocol's terms: MQTT
   * DISCONNECT 0x87 (0x98 when disabled) on v5, the close on 3.1.1; a JSON device gets
   * `error` then close 4401 (4403 disabled); a CoAP link closes with the same code and the
   * edge answers the device with an Abort.
   */
  private async endConnections(matches: (a: JsonAttachment | MqttAttachment) => boolean, why: "revoked" | "expired" | "disabled", detail?: string): Promise<void> {
    const disabled = why === "disabled";
    const code = disabled ? 4403 : 4401;
    const message = detail ?? (disabled ? "the device was disabled" : `the credential was ${why}`);
    for (const ws of deviceSockets(this.ctx)) {
      const a = ws.deserializeAttachment() as JsonAttachment;
      if (!matches(a)) continue;
      this.send(ws, { type: "error", code: disabled ? "device_disabled" : `credential_${why}`, message });
      closeQuietly(ws, code, message);
    }
    await this.mqtt.revoke(disabled ? 0x98 : 0x87, false, matches);
  }

  /** Erases everything the device had: called when the device is deleted from the registry. */
  async wipe(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) closeQuietly(ws, 4404, "device deleted");
    await this.mqtt.revoke(0x98, true);
    await this.shards.deviceShard(this.deviceId).unlisten(this.deviceId);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.mqtt.reset();
    this.store.migrate();
  }

  // ---- inside the object --------------------------------------------------------------------

  private jsonHost() {
    return {
      shadow: (name: string, input: unknown) => this.applyShadow(name, input, null),
      telemetry: (data: JsonObject, ts: number) => this.storeTelemetry([{ ts, data }]),
      wait: (now: number) => this.rate.take(now),
    };
  }

  /**
   * Runs a shadow request and publishes what it changed: app streams, JSON devices, and the
   * MQTT session (into `mqttSelf` when the request came from that session, which is mid-event).
   */
  private applyShadow(name: string, input: unknown, mqttSelf: Message[] | null): ShadowOutcome {
    const o = runShadow(this.store, this.config, name, input, Date.now());
    const messages = shadowMessages(this.deviceId, o, mqttSelf !== null);
    if (mqttSelf) mqttSelf.push(...messages);
    else if (messages.length) void this.mqtt.deliver(messages);
    const r = o.response;
    if (r.status !== "accepted" || r.op === "get") return o;
    this.own.publish(shadowMessages(this.deviceId, o, false));
    const now = Date.now();
    this.emit(r.op === "delete" ? "shadow.deleted" : "shadow.updated", { shadow: o.name, ...r.body }, now);
    for (const e of o.events) this.emit(e.type === "delta" ? "shadow.delta" : "shadow.documents", { shadow: o.name, ...e.message }, now);
    const pushes = jsonPushes(o.name, o.events);
    for (const ws of deviceSockets(this.ctx)) for (const m of pushes) this.send(ws, m);
    return o;
  }

  /**
   * Stores telemetry, streams it, and publishes it on the device's telemetry topic: MQTT
   * messages as the device sent them, samples from other protocols as `{"ts","data"}` JSON.
   */
  private storeTelemetry(rows: TelemetryRow[], messages?: Message[]): void {
    const now = Date.now();
    this.store.insertTelemetry(rows, this.config.telemetryMaxRows, this.config.telemetryMaxAgeMs, now);
    for (const row of rows) this.emit("telemetry", row, now);
    const topic = `devices/${this.deviceId}/telemetry`;
    this.own.publish(messages ?? rows.map((row) => ({ topic, payload: encoder.encode(JSON.stringify(row)), qos: 1, retain: false })));
  }

  /** Messages on the device's own topics for its own session, when it subscribed to them. */
  private selfDeliver(messages: Message[]): void {
    const wanted = messages.filter((m) => this.mqtt.wants(m.topic));
    if (wanted.length) void this.mqtt.deliver(wanted);
  }

  private markPresence(connected: boolean, protocol: DeviceProtocol, remote: string | null): void {
    const before = readPresence(this.store);
    const now = Date.now();
    const p: Presence = connected
      ? { connected, protocol, remote_address: remote, connected_at: now, last_seen: now, disconnected_at: null }
      : { ...before, connected, last_seen: Math.max(before.last_seen ?? 0, this.lastSeen, now), disconnected_at: now };
    this.store.setMeta("presence", p);
    if (before.connected !== connected || connected) this.emit(connected ? "presence.connected" : "presence.disconnected", statusOf(p, 0), now);
  }

  private emit(type: DeviceEventType, data: unknown, ts: number): void {
    const event: DeviceEvent = { type, deviceId: this.deviceId, ts, data };
    const text = JSON.stringify(event);
    for (const ws of this.ctx.getWebSockets("stream")) {
      try {
        ws.send(text);
      } catch {
        // a stream that went away is cleaned up by its close event
      }
    }
    this.sse.broadcast(event);
  }

  private send(ws: WebSocket, message: HubMessage): void {
    try {
      ws.send(JSON.stringify(message));
    } catch {
      // the socket closed under us; its close event updates presence
    }
  }
}
