/**
 * DeviceObject: one per device (`idFromName(deviceId)`), SQLite-backed. All state of a device
 * lives here and changes one event at a time: shadows, telemetry, presence, its MQTT session,
 * its command queue. Device and app sockets use the hibernation API, with per-socket state in
 * their attachment so it survives hibernation. This class is the shell: entry points and RPC,
 * delegating to the modules beside it.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { JsonObject, JsonValue } from "../../protocols/json-value";
import type { Message, SessionContext } from "../../protocols/mqtt";
import { shadowDelta } from "../../protocols/json/encode";
import { logError, logText } from "../../protocols/log-text";
import { deviceConfig, type DeviceConfig } from "./config";
import { DeviceStore, type LatestValue, type TelemetryRow } from "./store";
import { openDeltas, runShadow, type ShadowOutcome } from "./shadow-service";
import { handleJsonFrame, jsonPushes, type JsonDeviceHost } from "./json-device";
import type { ShadowDocument } from "../../shadow/shadow";
import { acceptMqttSocket, closeQuietly, deviceSockets, mqttAttachment, type Attachment, type DeviceProtocol, type JsonAttachment, type MqttAttachment } from "./sockets";
import { AlarmScheduler } from "../shared/alarms";
import { TokenBucket } from "../shared/token-bucket";
import { GroupCommit } from "../shared/group-commit";
import { CredentialWatch } from "./credential-watch";
import { readPresence, statusOf, type DeviceStatus, type Presence } from "./presence";
import { MqttHost } from "./mqtt-host";
import { mqttServices, shadowMessages } from "./mqtt-routing";
import { ShardClient } from "../routing/shard-client";
import { OwnTopics } from "./own-topics";
import type { ShardSubscription } from "../topic/store";
import { LiveStreams } from "./live-streams";
import { JsonConnections, type EndReason } from "./json-connections";
import { DeviceAccess } from "./device-access";
import { CommandStore, type CommandOutcome, type CommandStatus } from "./commands";
import { CommandDispatch, commandView } from "./command-dispatch";
import { MethodCalls } from "./method-calls";
import { inboundCommand, isOwnTopic, methodMessage } from "./mqtt-topics";

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

const encoder = new TextEncoder();

export class DeviceObject extends DurableObject<Env> {
  private readonly store: DeviceStore;
  private readonly config: DeviceConfig;
  private readonly streams: LiveStreams;
  private readonly json: JsonConnections;
  private readonly access: DeviceAccess;
  private readonly mqtt: MqttHost;
  private readonly shards: ShardClient;
  private readonly own: OwnTopics;
  /** MQTT telemetry, written in one transaction per batch before its PUBACKs leave. */
  private readonly telemetryCommit: GroupCommit<{ row: TelemetryRow; message: Message }>;
  private readonly alarms: AlarmScheduler;
  private readonly credentials: CredentialWatch;
  private readonly commands: CommandDispatch;
  private readonly commandStore: CommandStore;
  private readonly methods = new MethodCalls();
  /** The device's message rate, across its protocols. */
  private readonly rate: TokenBucket;
  private lastSeen = 0;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeviceStore(ctx.storage.sql);
    this.config = deviceConfig(env as unknown as Record<string, unknown>);
    this.store.migrate();
    const id = () => this.deviceId;
    this.alarms = new AlarmScheduler(ctx.storage);
    this.rate = new TokenBucket(this.config.rate.perSecond, this.config.rate.burst, Date.now());
    this.streams = new LiveStreams(ctx, id);
    this.json = new JsonConnections(ctx);
    this.access = new DeviceAccess(this.store, id);
    this.shards = new ShardClient(env, "default");
    this.own = new OwnTopics(env, ctx.storage.sql, id, this.shards, this.alarms);
    this.credentials = new CredentialWatch(this.store, this.alarms, (cid, why) => this.endConnections((a) => a.credentialId === cid, why));
    this.telemetryCommit = new GroupCommit((items) =>
      ctx.storage.transactionSync(() =>
        this.storeTelemetry(
          items.map((i) => i.row),
          items.map((i) => i.message),
        ),
      ),
    );
    this.commandStore = new CommandStore(ctx.storage.sql);
    this.commands = new CommandDispatch(
      this.commandStore,
      {
        deviceId: id,
        jsonChannels: () => this.json.channels(),
        send: (ws, m) => this.json.send(ws, m),
        mqttVersion: () => this.mqtt.connectedVersion(),
        mqttWants: (topic) => this.mqtt.wants(topic),
        mqttDeliver: (messages) => void this.mqtt.deliver(messages),
        emit: (type, data) => this.streams.emit(type, data),
        publishOwn: (messages) => this.own.publish(messages),
        finished: () => undefined,
      },
      this.alarms,
      this.config.commands,
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
        access: () => this.access.get(),
        shadow: (name, input, mqttSelf) => this.applyShadow(name, input, mqttSelf),
        telemetryBatched: (items) => this.telemetryCommit.add(items),
        selfDeliver: (messages) => this.selfDeliver(messages),
        own: this.own,
        shards: this.shards,
        presence: (connected, remote) => this.markPresence(connected, "mqtt", remote),
        alarms: this.alarms,
        closeJsonSockets: () => this.json.closeAll(),
        commandResult: (cid, status, result) => this.commands.result(cid, status, result, Date.now()),
        methodResponse: (rid, status, payload) => this.methods.answer(rid, status, payload),
        ready: () => this.commands.deliverPending(Date.now()),
      }),
    );
  }

  private get deviceId(): string {
    return this.ctx.id.name ?? this.store.getMeta<string>("deviceId") ?? "unknown";
  }

  // ---- HTTP entry: socket upgrades and streams, reached only through the Worker --------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const deviceId = request.headers.get("x-umbra-device");
    if (deviceId && !this.ctx.id.name && this.store.getMeta<string>("deviceId") !== deviceId) this.store.setMeta("deviceId", deviceId);
    try {
      if (url.pathname === "/connect/json") return await this.acceptJson(request, linkProtocol(request.headers.get("x-umbra-protocol")));
      if (url.pathname === "/connect/mqtt") {
        this.access.fromHeader(request.headers.get("x-umbra-access"));
        return acceptMqttSocket(this.ctx, mqttAttachment(request), request);
      }
      if (url.pathname === "/events") return this.streams.open(request);
      return new Response("not found", { status: 404 });
    } catch (err) {
      console.error(`DeviceObject ${logText(this.deviceId)} fetch ${logText(url.pathname)}: ${logError(err)}`);
      return new Response("internal error", { status: 500 });
    }
  }

  private async acceptJson(request: Request, protocol: "json" | "coap"): Promise<Response> {
    await this.mqtt.yieldToOtherProtocol();
    const { client, server, remote } = this.json.accept(request, protocol);
    const now = Date.now();
    this.markPresence(true, protocol, remote);
    // Beyond AWS: the open delta reaches the device at once, no GET needed.
    for (const { name, delta } of openDeltas(this.store, now)) this.json.send(server, shadowDelta(name, delta));
    // Queued commands go out at once to a JSON device (a CoAP link: once its client observes them).
    this.commands.deliverPending(now);
    const sub = request.headers.get("x-umbra-subprotocol");
    return new Response(null, { status: 101, webSocket: client, headers: sub ? { "sec-websocket-protocol": sub } : {} });
  }

  // ---- hibernation callbacks ----------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.role !== "device") return;
    this.lastSeen = Date.now();
    try {
      await this.own.ready();
      if (a.protocol === "mqtt") return await this.mqtt.onMessage(ws, message);
      for (const reply of handleJsonFrame(this.jsonHost(ws), message, this.config, this.lastSeen)) this.json.send(ws, reply);
    } catch (err) {
      console.error(`DeviceObject ${logText(this.deviceId)} message: ${logError(err)}`);
      if (a.protocol === "mqtt") closeQuietly(ws, 1011, "internal error");
      else this.json.send(ws, { type: "error", code: "internal", message: "the message could not be processed" });
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
    const now = Date.now();
    await this.mqtt.onAlarm();
    await this.credentials.onAlarm(now);
    await this.own.onAlarm();
    await this.commands.onAlarm(now);
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

  /** The latest value of every telemetry key. */
  async latestTelemetry(): Promise<Record<string, LatestValue>> {
    return this.store.latest();
  }

  /** Queues a command (delivered at once where the device is connected); null when the queue is full. */
  async enqueueCommand(name: string, payload: JsonValue, ttlSeconds?: number) {
    await this.own.ready();
    const c = await this.commands.enqueue(name, payload, ttlSeconds, Date.now());
    return c && commandView(this.deviceId, c);
  }

  /** A page of commands, newest first (`before`: the seq cursor of the last page). */
  async listCommands(status: CommandStatus | null, limit: number, before: number | null) {
    const rows = this.commandStore.list(status, limit + 1, before);
    const page = rows.slice(0, limit);
    return { items: page.map((c) => commandView(this.deviceId, c)), next: rows.length > limit ? (page[page.length - 1]?.seq ?? null) : null };
  }

  /** One command, or null. */
  async getCommand(id: string) {
    const c = this.commandStore.get(id);
    return c && commandView(this.deviceId, c);
  }

  /** A command's outcome reported outside a device socket (CoAP POST /commands/<id>). */
  async reportCommandResult(id: string, status: CommandOutcome, result: JsonValue | null): Promise<boolean> {
    return this.commands.result(id, status, result, Date.now());
  }

  /** An answer to a direct method reported outside a device socket (CoAP POST /methods/<id>). */
  async answerMethod(id: string, status: number, payload: JsonValue | null): Promise<boolean> {
    return this.methods.answer(id, status, payload);
  }

  /**
   * Calls a direct method on the connected device and waits for its answer: "offline" when no
   * connection takes methods, "timeout" when it does not answer in time.
   */
  async invokeMethod(name: string, payload: JsonValue, timeoutMs: number) {
    return this.methods.call((requestId) => {
      let took = false;
      for (const ch of this.json.channels()) {
        if (ch.protocol === "coap" && !ch.observes.includes("methods")) continue;
        this.json.send(ch.ws, { type: "method", id: requestId, name, payload });
        took = true;
      }
      const version = this.mqtt.connectedVersion();
      if (version !== null) {
        const m = methodMessage(this.deviceId, name, requestId, payload, version);
        if (this.mqtt.wants(m.topic)) {
          void this.mqtt.deliver([m]);
          took = true;
        }
      }
      return took;
    }, timeoutMs);
  }

  /**
   * Messages for this device, in order; resolves once stored. A command published to it (an
   * app's `devices/<id>/commands/<name>`) joins the command queue; other messages on the
   * device's own topics also go to every session subscribed to them; the rest are for its
   * session's subscriptions (a shard's or another device's fan-out).
   */
  async deliverMessages(messages: Message[]): Promise<void> {
    await this.own.ready();
    const rest: Message[] = [];
    const mine: Message[] = [];
    for (const m of messages) {
      const command = inboundCommand(this.deviceId, m);
      if (command) await this.commands.enqueue(command.name, command.payload, command.ttlSeconds, Date.now());
      else {
        if (isOwnTopic(this.deviceId, m.topic)) mine.push(m);
        rest.push(m);
      }
    }
    if (mine.length) this.own.publish(mine);
    if (rest.length) await this.mqtt.deliver(rest);
  }

  /**
   * The device's MQTT access changed (a policy, an attachment, a channel or group membership,
   * its tags or attributes): live sessions follow at once.
   */
  async accessChanged(access: SessionContext): Promise<void> {
    this.access.set(access);
    await this.mqtt.accessChanged();
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

  /** Ends connections whose credential matches, in each protocol's terms (json-connections.ts, MQTT 0x87/0x98). */
  private async endConnections(matches: (a: JsonAttachment | MqttAttachment) => boolean, why: EndReason, detail?: string): Promise<void> {
    this.json.end(matches, why, detail);
    await this.mqtt.revoke(why === "disabled" ? 0x98 : 0x87, false, matches);
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

  private jsonHost(ws: WebSocket): JsonDeviceHost {
    return {
      shadow: (name, input) => this.applyShadow(name, input, null),
      telemetry: (data: JsonObject, ts: number) => this.storeTelemetry([{ ts, data }]),
      wait: (now) => this.rate.take(now),
      commandResult: (id, status: CommandOutcome, result) => this.commands.result(id, status, result, Date.now()),
      methodResponse: (id, status, payload) => this.methods.answer(id, status, payload),
      observe: (resource) => {
        this.json.observe(ws, resource);
        if (resource === "commands") this.commands.deliverPending(Date.now());
      },
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
    this.streams.emit(r.op === "delete" ? "shadow.deleted" : "shadow.updated", { shadow: o.name, ...r.body }, now);
    for (const e of o.events) this.streams.emit(e.type === "delta" ? "shadow.delta" : "shadow.documents", { shadow: o.name, ...e.message }, now);
    this.json.broadcast(jsonPushes(o.name, o.events));
    return o;
  }

  /**
   * Stores telemetry, streams it, and publishes it on the device's telemetry topic: MQTT
   * messages as the device sent them, samples from other protocols as `{"ts","data"}` JSON.
   */
  private storeTelemetry(rows: TelemetryRow[], messages?: Message[]): void {
    const now = Date.now();
    this.store.insertTelemetry(rows, this.config.telemetryMaxRows, this.config.telemetryMaxAgeMs, now);
    for (const row of rows) this.streams.emit("telemetry", row, now);
    const topic = `devices/${this.deviceId}/telemetry`;
    this.own.publish(messages ?? rows.map((row) => ({ topic, payload: encoder.encode(JSON.stringify(row)), qos: 1, retain: false })));
  }

  /** Messages on the device's own topics for its own session, when it subscribed to them. */
  private selfDeliver(messages: Message[]): void {
    const wanted = messages.filter((m) => this.mqtt.wants(m.topic));
    if (wanted.length) void this.mqtt.deliver(wanted);
  }

  /** Records presence, streams it, and publishes it on `devices/<id>/presence` for subscribers. */
  private markPresence(connected: boolean, protocol: DeviceProtocol, remote: string | null): void {
    const before = readPresence(this.store);
    const now = Date.now();
    const p: Presence = connected
      ? { connected, protocol, remote_address: remote, connected_at: now, last_seen: now, disconnected_at: null }
      : { ...before, connected, last_seen: Math.max(before.last_seen ?? 0, this.lastSeen, now), disconnected_at: now };
    this.store.setMeta("presence", p);
    if (before.connected === connected && !connected) return;
    this.streams.emit(connected ? "presence.connected" : "presence.disconnected", statusOf(p, 0), now);
    const body = { connected, protocol: p.protocol, ts: now };
    this.own.publish([{ topic: `devices/${this.deviceId}/presence`, payload: encoder.encode(JSON.stringify(body)), qos: 1, retain: false }]);
  }
}
