/**
 * DeviceObject: one per device (`idFromName(deviceId)`), SQLite-backed. All state of a device
 * lives here and changes one event at a time; device and app sockets use the hibernation API,
 * with per-socket state in their attachment so it survives hibernation.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { JsonObject } from "../../protocols/json-value";
import type { HubMessage } from "../../protocols/json/messages";
import type { Message } from "../../protocols/mqtt";
import { shadowDelta } from "../../protocols/json/encode";
import { deviceConfig, type DeviceConfig } from "./config";
import { DeviceStore, type LatestValue, type TelemetryRow } from "./store";
import { SseClients, type DeviceEvent, type DeviceEventType } from "./events";
import { openDeltas, runShadow, type ShadowOutcome } from "./shadow-service";
import { handleJsonFrame, jsonPushes } from "./json-device";
import type { ShadowDocument } from "../../shadow/shadow";
import { acceptMqttSocket, closeQuietly, deviceSockets, mqttAttachment, type Attachment, type DeviceProtocol } from "./sockets";
import { readPresence, statusOf, type DeviceStatus, type Presence } from "./presence";
import { MqttHost } from "./mqtt-host";
import { mqttServices, shadowMessages } from "./mqtt-routing";
import { AppFanout } from "./app-fanout";
import { GroupCommit } from "./group-commit";
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

function jsonList(header: string | null): string[] {
  try {
    const v: unknown = JSON.parse(header ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export class DeviceObject extends DurableObject<Env> {
  private readonly store: DeviceStore;
  private readonly config: DeviceConfig;
  private readonly sse = new SseClients();
  private readonly mqtt: MqttHost;
  private readonly apps: AppFanout;
  /** MQTT telemetry, written in one transaction per batch before its PUBACKs leave. */
  private readonly telemetryCommit: GroupCommit<TelemetryRow>;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private lastSeen = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeviceStore(ctx.storage.sql);
    this.config = deviceConfig(env as unknown as Record<string, unknown>);
    this.store.migrate();
    this.apps = new AppFanout(env);
    this.telemetryCommit = new GroupCommit((rows) => ctx.storage.transactionSync(() => this.storeTelemetry(rows)));
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
        shadow: (name, input, mqttSelf) => this.applyShadow(name, input, mqttSelf),
        telemetry: (rows) => this.storeTelemetry(rows),
        telemetryBatched: (rows) => this.telemetryCommit.add(rows),
        presence: (connected, remote) => this.markPresence(connected, "mqtt", remote),
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
    pair[1].serializeAttachment({ role: "device", protocol, connectedAt: now, remote } satisfies Attachment);
    this.markPresence(true, protocol, remote);
    // Beyond AWS: the open delta reaches the device at once, no GET needed.
    for (const { name, delta } of openDeltas(this.store, now)) this.send(pair[1], shadowDelta(name, delta));
    const sub = request.headers.get("x-umbra-subprotocol");
    return new Response(null, { status: 101, webSocket: pair[0], headers: sub ? { "sec-websocket-protocol": sub } : {} });
  }

  private acceptMqtt(request: Request): Response {
    const attachment = mqttAttachment(request, jsonList(request.headers.get("x-umbra-token-hashes")), jsonList(request.headers.get("x-umbra-channels")));
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
    await this.mqtt.onAlarm();
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
    this.storeTelemetry(rows);
    return rows.length;
  }

  /** Stored telemetry, oldest first. */
  async telemetry(q: TelemetryQuery) {
    return this.store.queryTelemetry(q.from, q.to, q.limit, q.after);
  }

  /** The latest value of every telemetry key. */
  async latestTelemetry(): Promise<Record<string, LatestValue>> {
    return this.store.latest();
  }

  /** A message for this device's MQTT session (an app's command); resolves once it is stored. */
  async deliverMessage(message: Message): Promise<void> {
    await this.mqtt.deliver([message]);
  }

  /** Messages for this device's MQTT session, in order (channel fan-out); resolves once stored. */
  async deliverMessages(messages: Message[]): Promise<void> {
    await this.mqtt.deliver(messages);
  }

  /** Closes every device socket (the device was disabled). */
  async disconnect(reason: string): Promise<void> {
    for (const ws of [...deviceSockets(this.ctx), ...this.ctx.getWebSockets("mqtt")]) closeQuietly(ws, 4403, reason);
  }

  /** Erases everything the device had: called when the device is deleted from the registry. */
  async wipe(): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) closeQuietly(ws, 4404, "device deleted");
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
    this.toApps(shadowMessages(this.deviceId, o, false));
    const now = Date.now();
    this.emit(r.op === "delete" ? "shadow.deleted" : "shadow.updated", { shadow: o.name, ...r.body }, now);
    for (const e of o.events) this.emit(e.type === "delta" ? "shadow.delta" : "shadow.documents", { shadow: o.name, ...e.message }, now);
    const pushes = jsonPushes(o.name, o.events);
    for (const ws of deviceSockets(this.ctx)) for (const m of pushes) this.send(ws, m);
    return o;
  }

  private storeTelemetry(rows: TelemetryRow[]): void {
    const now = Date.now();
    this.store.insertTelemetry(rows, this.config.telemetryMaxRows, this.config.telemetryMaxAgeMs, now);
    for (const row of rows) this.emit("telemetry", row, now);
    const topic = `devices/${this.deviceId}/telemetry`;
    this.toApps(rows.map((row) => ({ topic, payload: new TextEncoder().encode(JSON.stringify(row)), qos: 1, retain: false })));
  }

  /** Sends device messages to subscribed MQTT app sessions, after the write that made them. */
  private toApps(messages: Message[]): void {
    this.apps.publish(messages).catch((err: unknown) => console.error(`DeviceObject ${this.deviceId}: app fan-out: ${logError(err)}`));
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
