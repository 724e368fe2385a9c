/**
 * DeviceObject: one per device (`idFromName(deviceId)`), SQLite-backed. All state of a device
 * lives here and changes one event at a time: shadows, telemetry, presence, its MQTT session,
 * its command queue. Device and app sockets use the hibernation API, with per-socket state in
 * their attachment so it survives hibernation. This class is the shell: entry points and RPC,
 * delegating to the modules beside it.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { JsonValue } from "../../protocols/json-value";
import { LINK_CLOSE, type Message, type SessionContext } from "../../protocols/mqtt";
import { shadowDelta } from "../../protocols/json/encode";
import { logError, logText } from "../../protocols/log-text";
import type { LatestValue, TelemetryRow } from "./store";
import type { BucketQuery, KeyBuckets } from "./telemetry-buckets";
import { openDeltas } from "./shadow-service";
import { handleJsonFrame } from "./json-device";
import type { ShadowDocument } from "../../shadow/shadow";
import { conditionHolds, type ShadowCondition } from "../../shadow/shadow-condition";
import { acceptMqttSocket, closeQuietly, connectionSockets, deviceSockets, mqttAttachment, mqttConnected, mqttSockets, type Attachment } from "./sockets";
import { readPresence, statusOf, type DeviceStatus } from "./presence";
import type { ShardSubscription } from "../topic/store";
import type { CommandOutcome, CommandStatus } from "./commands";
import { commandView } from "./command-dispatch";
import { inboundCommand, isOwnTopic } from "./mqtt-topics";
import { DeviceCore } from "./device-core";
import { webSocketResponse } from "../shared/websocket-response";
import { wholeMark, type DeliveryMark } from "../shared/delivery-marks";

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

export class DeviceObject extends DurableObject<Env> {
  private core: DeviceCore;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.core = new DeviceCore(ctx, env);
  }

  // ---- HTTP entry: socket upgrades and streams, reached only through the Worker --------------

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const deviceId = request.headers.get("x-umbra-device");
    if (deviceId && !this.ctx.id.name && this.core.store.getMeta<string>("deviceId") !== deviceId) this.core.store.setMeta("deviceId", deviceId);
    try {
      if (url.pathname === "/connect/json") return await this.acceptJson(request, linkProtocol(request.headers.get("x-umbra-protocol")));
      if (url.pathname === "/connect/mqtt") {
        this.core.access.fromHeader(request.headers.get("x-umbra-access"));
        return acceptMqttSocket(this.ctx, mqttAttachment(request), request);
      }
      if (url.pathname === "/events") return this.core.streams.open(request);
      return new Response("not found", { status: 404 });
    } catch (err) {
      console.error(`DeviceObject ${logText(this.core.deviceId)} fetch ${logText(url.pathname)}: ${logError(err)}`);
      return new Response("internal error", { status: 500 });
    }
  }

  private async acceptJson(request: Request, protocol: "json" | "coap"): Promise<Response> {
    // Presence rules see the connect: a cold object loads its rules first.
    await this.core.ready();
    await this.core.mqtt.yieldToOtherProtocol();
    const { client, server, remote } = this.core.json.accept(request, protocol);
    const now = Date.now();
    this.core.markPresence(true, protocol, remote);
    // Beyond AWS: the open delta reaches the device at once, no GET needed.
    for (const { name, delta } of openDeltas(this.core.store, now)) this.core.json.send(server, shadowDelta(name, delta));
    // Unanswered and queued commands go out at once to a JSON device (a CoAP link: once its client observes them).
    if (protocol === "json") this.core.commands.channelOpened(server, now);
    else this.core.commands.deliverPending(now);
    const sub = request.headers.get("x-umbra-subprotocol");
    return webSocketResponse(client, sub);
  }

  // ---- hibernation callbacks ----------------------------------------------------------------

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    // A socket this object closed (a flooding device, SenderRate) is still read until its client's close frame: skip it cheaply.
    if (ws.readyState !== WebSocket.OPEN) return;
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.role !== "device") return;
    try {
      // After ready: the first message of a socket opened after a restart is no sign of life of the connection the restart took.
      await this.core.ready();
      this.core.seen(Date.now());
      if (a.protocol === "mqtt") return await this.core.mqtt.onMessage(ws, message);
      if (this.core.json.floods(ws, this.core.config.socketFloodMs)) return;
      this.core.json.reply(ws, handleJsonFrame(this.core.jsonHost(ws), message, this.core.config, this.core.lastSeen));
    } catch (err) {
      console.error(`DeviceObject ${logText(this.core.deviceId)} message: ${logError(err)}`);
      if (a.protocol === "mqtt") closeQuietly(ws, 1011, "internal error");
      else this.core.json.reply(ws, [{ type: "error", code: "internal", message: "the message could not be processed" }]);
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    // Reciprocate the close so the client sees a clean close rather than 1006.
    closeQuietly(ws, code, "closed");
    // The edge ends an MQTT link for the client's silence with 4008: the device did not close it.
    await this.onSocketGone(ws, code !== LINK_CLOSE.keepAlive);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.onSocketGone(ws);
  }

  override async alarm(): Promise<void> {
    this.core.alarms.fired();
    await this.core.ready();
    const now = Date.now();
    await this.core.mqtt.onAlarm();
    await this.core.credentials.onAlarm(now);
    await this.core.own.onAlarm();
    await this.core.commands.onAlarm(now);
    await this.core.rules.onAlarm(now);
    this.core.ruleActions.onAlarm(now);
    await this.core.presenceOnAlarm(now);
    await this.core.alarms.rearm();
  }

  /** What every event needs loaded first: who subscribes to the device's topics, and its rules. */
  private async onSocketGone(ws: WebSocket, closedNow = true): Promise<void> {
    const a = ws.deserializeAttachment() as Attachment | null;
    if (a?.role !== "device") return;
    this.core.methods.socketGone(ws, connectionSockets(this.ctx).some((s) => s !== ws));
    // A close often wakes a hibernated object: its rules load first, so presence rules see it.
    await this.core.ready();
    if (a.protocol === "mqtt") return this.core.mqtt.onClose(ws, closedNow);
    // taken over (by JSON or CoAP, or by MQTT once its CONNECT is through): still connected
    if (deviceSockets(this.ctx).some((s) => s !== ws) || mqttSockets(this.ctx).some(mqttConnected)) return;
    this.core.markPresence(false, a.protocol, a.remote);
  }

  // ---- RPC for the Worker and other objects ---------------------------------------------------

  /** Liveness probe. */
  async health(): Promise<{ ok: true; id: string }> {
    return { ok: true, id: this.ctx.id.toString() };
  }

  /** Connection status, as `GET /v1/devices/:id` shows it. */
  async status(): Promise<DeviceStatus> {
    await this.core.ready();
    return statusOf(readPresence(this.core.store), this.core.lastSeen);
  }

  /**
   * Applies a shadow request (`{kind, state?, version?, clientToken?}`) from HTTP or CoAP, or
   * from another device's rule (`depth`: the firings that led to it). A `condition` (a
   * conditional request's) is checked in the same step as the write: 412 when it fails.
   */
  async shadow(name: string, input: unknown, depth = 0, condition?: ShadowCondition): Promise<ShadowReply> {
    await this.core.ready();
    if (condition && !conditionHolds(this.core.store.getShadow(name), condition)) {
      return { status: 412, body: { code: 412, message: condition.exists ? "The shadow does not exist" : "The shadow exists at a version the condition excludes", timestamp: Math.floor(Date.now() / 1000) } };
    }
    const outcome = this.core.applyShadow(name, input, null, depth);
    const r = outcome.response;
    return { status: r.status === "rejected" ? r.body.code : 200, body: r.body as unknown as Record<string, unknown> };
  }

  /** Names of the live shadows (`""` is the classic shadow). */
  async shadowNames(): Promise<string[]> {
    return this.core.store.shadowNames();
  }

  /** Past versions of a shadow, oldest first: a page, and whether more remain. */
  async shadowHistory(name: string, fromVersion: number, limit: number): Promise<{ rows: ShadowDocument[]; more: boolean }> {
    return this.core.store.history(name, fromVersion, limit);
  }

  /** Stores telemetry samples (from HTTP or a protocol at the edge) and streams them. */
  async ingestTelemetry(rows: TelemetryRow[]): Promise<number> {
    await this.core.ready();
    this.core.storeTelemetry(rows);
    return rows.length;
  }

  /** Stored telemetry, oldest first. */
  async telemetry(q: TelemetryQuery) {
    this.retainTelemetry();
    return this.core.store.queryTelemetry(q.from, q.to, q.limit, q.after);
  }

  /** Rows past retention are gone before a read (insertTelemetry applies it only every 64 rows). */
  private retainTelemetry(): void {
    this.core.store.retain(this.core.config.telemetryMaxRows, this.core.config.telemetryMaxAgeMs, Date.now());
  }

  /**
   * Stored telemetry aggregated per key in time buckets; no keys: every key the device has
   * sent, unless there are more than `maxKeys` (then the keys alone, no buckets computed).
   */
  async telemetryBuckets(q: BucketQuery, maxKeys = Number.POSITIVE_INFINITY): Promise<KeyBuckets[]> {
    this.retainTelemetry();
    if (q.keys.length) return this.core.store.buckets(q);
    const keys = Object.keys(this.core.store.latest());
    return keys.length > maxKeys ? keys.map((key) => ({ key, buckets: [] })) : this.core.store.buckets({ ...q, keys });
  }

  /** The latest value of every telemetry key. */
  async latestTelemetry(): Promise<Record<string, LatestValue>> {
    return this.core.store.latest();
  }

  /** Queues a command (delivered at once where the device is connected); null when the queue is full. */
  async enqueueCommand(name: string, payload: JsonValue, ttlSeconds?: number, depth = 0) {
    await this.core.ready();
    const c = await this.core.commands.enqueue(name, payload, ttlSeconds, Date.now(), depth);
    return c && commandView(this.core.deviceId, c);
  }

  /** A page of commands, newest first (`before`: the seq cursor of the last page). */
  async listCommands(status: CommandStatus | null, limit: number, before: number | null) {
    return this.core.commands.list(status, limit, before);
  }

  /** One command, or null. */
  async getCommand(id: string) {
    return this.core.commands.get(id);
  }

  /** A command's outcome reported outside a device socket (CoAP POST /commands/<id>). */
  async reportCommandResult(id: string, status: CommandOutcome, result: JsonValue | null): Promise<boolean> {
    return this.core.commands.result(id, status, result, Date.now());
  }

  /** An answer to a direct method reported outside a device socket (CoAP POST /methods/<id>). */
  async answerMethod(id: string, status: number, payload: JsonValue | null): Promise<boolean> {
    return this.core.methods.answer(id, status, payload);
  }

  /** Calls a direct method on the connected device: its answer, "offline", "timeout" or "disconnected". */
  async invokeMethod(name: string, payload: JsonValue, timeoutMs: number) {
    return this.core.commands.callMethod(this.core.methods, name, payload, timeoutMs);
  }

  /**
   * Messages for this device, in order; resolves once stored. A command published to it (an
   * app's `devices/<id>/commands/<name>`) joins the command queue; other messages on the
   * device's own topics also go to every session subscribed to them; the rest are for its
   * session's subscriptions (a shard's or another device's fan-out).
   */
  async deliverMessages(batch: Message[], from?: DeliveryMark): Promise<void> {
    await this.core.ready();
    const { messages, mark } = this.core.marks.fresh(batch, from);
    const rest: Message[] = [];
    const restSeqs: number[] = [];
    const mine: Message[] = [];
    for (const [i, m] of messages.entries()) {
      const command = inboundCommand(this.core.deviceId, m);
      if (command) {
        // Queued, it reaches the device (and watchers) as a command, never also as the raw publish.
        // A device the registry does not hold takes none: whoever registers the id later must not get it.
        if (!(await this.core.isRegistered())) console.warn(`DeviceObject ${logText(this.core.deviceId)}: command ${logText(command.name)} dropped: no such device in the registry`);
        // A full queue holds the publisher's acknowledgement until there is room, or the command's TTL ends.
        else if (!(await this.core.commands.enqueueWhenRoom(command.name, command.payload, command.ttlSeconds))) console.warn(`DeviceObject ${logText(this.core.deviceId)}: command ${logText(command.name)} dropped: the queue stayed full for its whole TTL`);
        continue;
      }
      if (isOwnTopic(this.core.deviceId, m.topic)) mine.push(m);
      rest.push(m);
      if (mark) restSeqs.push(mark.seqs[i]!);
    }
    if (mine.length) this.core.own.publish(mine);
    // A retained one is kept in the device's shard, where late subscribers look, before the
    // publisher's acknowledgement (it was acknowledged and not kept) [MQTT-3.3.1-5].
    const retained = mine.filter((m) => m.retain).map((m) => this.core.shards.retain(m));
    if (rest.length) await this.core.mqtt.deliver(rest, mark && { from: mark.from, seqs: restSeqs });
    await Promise.all(retained);
    // Commands after the last of the rest are in their queue now: a batch delivered again must not queue them twice.
    this.core.marks.record(wholeMark(mark));
  }

  /**
   * The device's MQTT access changed (a policy, an attachment, a channel or group membership,
   * its tags or attributes): live sessions follow at once.
   */
  async accessChanged(access: SessionContext): Promise<void> {
    this.core.access.set(access);
    await this.core.mqtt.accessChanged();
    // Its groups or tags may have changed, and with them the rules that apply.
    await this.core.rules.changed();
  }

  /** The registry changed rules that may apply to this device: they are reloaded now. */
  async rulesChanged(): Promise<void> {
    await this.core.rules.changed();
  }

  /** The topic shard's push: the sessions subscribed to this device's topics changed. */
  async routesChanged(subs: ShardSubscription[]): Promise<void> {
    this.core.own.changed(subs);
  }

  /** Ends every connection of the device (it was disabled): MQTT DISCONNECT 0x98, JSON `error` + 4403, CoAP Abort. */
  async disconnect(reason: string): Promise<void> {
    await this.core.endConnections(() => true, "disabled", reason);
  }

  /**
   * A credential of this device was revoked (`at` null) or ends at `at` (rotation grace):
   * every connection opened with it ends then, on every protocol.
   */
  async credentialRevoked(credentialId: string, at: number | null): Promise<void> {
    await this.core.credentials.expire(credentialId, at);
  }

  /** An app credential was revoked (or its token expired): the live streams it opened here end (close 4401). */
  async streamsRevoked(owner: string): Promise<void> {
    this.core.streams.endWhere((h) => h.owner === owner);
  }

  /** An OAuth client (`owner`) was issued a token valid until `expiresAt`: its live streams here last as long. */
  async streamsRenewed(owner: string, expiresAt: number): Promise<void> {
    this.core.streams.renew(owner, expiresAt);
  }

  /** Erases everything the device had: called when the device is deleted from the registry. */
  async wipe(): Promise<void> {
    await this.core.endForDeletion();
    for (const ws of this.ctx.getWebSockets()) closeQuietly(ws, 4404, "device deleted");
    await this.core.shards.deviceShard(this.core.deviceId).deviceDeleted(this.core.deviceId);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    // A fresh core makes every table again (device, commands, rules, outbox, session) and drops
    // every cache of the old device: a device created again with this id starts clean.
    this.core.mqtt.reset();
    this.core = new DeviceCore(this.ctx, this.env);
  }

}
