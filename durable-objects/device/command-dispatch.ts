/**
 * Commands and direct methods between the queue (commands.ts) and whatever the device is
 * connected with: JSON sockets get `command` / `method` messages, a CoAP link gets them once its
 * client observes `/commands` / `/methods`, an MQTT session gets a PUBLISH on
 * `devices/<id>/commands/<name>` (v5: command id as correlation data and a user property;
 * 3.1.1: the id as a last topic level) when it subscribed to it. Results and answers come back
 * the same ways and finish the command, which shows in the live stream and on
 * `devices/<id>/commands/<cmdId>/result` for subscribers (apps, webhooks).
 */
import type { JsonValue } from "../../protocols/json-value";
import type { HubMessage } from "../../protocols/json/messages";
import type { Message, ProtocolVersion } from "../../protocols/mqtt";
import type { AlarmScheduler } from "../shared/alarms";
import type { DeviceEventType } from "./events";
import type { CommandOutcome, CommandRecord, CommandStatus, CommandStore } from "./commands";
import type { MethodCalls } from "./method-calls";
import { methodMessage } from "./mqtt-topics";

const encoder = new TextEncoder();

/** A socket that speaks the JSON device protocol (a JSON device, or a CoAP connection's link). */
export interface JsonChannel {
  ws: WebSocket;
  protocol: "json" | "coap";
  /** CoAP links only: what the client observes (JSON devices take everything). */
  observes: readonly string[];
}

/** What dispatching needs from its object. */
export interface DispatchHost {
  deviceId(): string;
  jsonChannels(): JsonChannel[];
  send(ws: WebSocket, message: HubMessage): void;
  /** The connected MQTT client (null when none is connected), whether it subscribed to a topic, and delivery. */
  mqttConnected(): { socket: WebSocket; version: ProtocolVersion } | null;
  mqttWants(topic: string): boolean;
  /** Whether a PUBLISH fits the client's Maximum Packet Size (one that does not is never sent). */
  mqttFits(message: Message): boolean;
  mqttDeliver(messages: Message[]): void;
  emit(type: DeviceEventType, data: unknown): void;
  /** Publishes on the device's own topics to their subscribers (inside the current write). */
  publishOwn(messages: Message[]): void;
  /** A result or an expiry happened (for rules on `command.result`). */
  finished(command: CommandRecord): void;
}

/** Limits of the queue. */
export interface CommandLimits {
  maxQueued: number;
  defaultTtlMs: number;
  maxTtlMs: number;
}

/** The API view of a command. */
export function commandView(deviceId: string, c: CommandRecord) {
  const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
  return {
    id: c.id,
    device_id: deviceId,
    name: c.name,
    payload: c.payload,
    status: c.status,
    created_at: iso(c.createdAt) ?? "",
    expires_at: iso(c.expiresAt) ?? "",
    delivered_at: iso(c.deliveredAt),
    completed_at: iso(c.completedAt),
    result: c.result,
    protocol: c.protocol,
  };
}

/** The MQTT PUBLISH of a command for a session of `version`. */
export function commandMessage(deviceId: string, c: CommandRecord, version: ProtocolVersion): Message {
  const base = `devices/${deviceId}/commands/${c.name}`;
  const payload = encoder.encode(JSON.stringify(c.payload));
  if (version !== 5) return { topic: `${base}/${c.id}`, payload, qos: 1, retain: false, expiresAt: c.expiresAt };
  return {
    topic: base,
    payload,
    qos: 1,
    retain: false,
    expiresAt: c.expiresAt,
    properties: {
      contentType: "application/json",
      correlationData: encoder.encode(c.id),
      responseTopic: `devices/${deviceId}/commands/${c.id}/result`,
      userProperties: [["command-id", c.id]],
    },
  };
}

/** How often a command waiting for room in a full queue looks again. */
const ROOM_POLL_MS = 500;

export class CommandDispatch {
  constructor(
    private readonly store: CommandStore,
    private readonly host: DispatchHost,
    private readonly alarms: AlarmScheduler,
    private readonly limits: CommandLimits,
  ) {}

  /** Queues a command and delivers it at once where the device is connected; null when the queue is full. */
  async enqueue(name: string, payload: JsonValue, ttlSeconds: number | undefined, now: number, depth = 0): Promise<CommandRecord | null> {
    if (this.store.pendingCount() >= this.limits.maxQueued) return null;
    const c = this.store.add(name, payload, this.ttlMs(ttlSeconds), now, depth);
    this.host.emit("command.queued", commandView(this.host.deviceId(), c));
    // Sessions that watch the device's commands (apps, webhooks) see it as a v5 PUBLISH would carry it.
    this.host.publishOwn([commandMessage(this.host.deviceId(), c, 5)]);
    this.deliverPending(now);
    await this.schedule();
    return this.store.get(c.id) ?? c;
  }

  /**
   * Queues a command once the queue has room (an app's MQTT publish: its PUBACK waits meanwhile,
   * as COMMANDS_MAX_QUEUED documents); null when its TTL, counted from now, ran out first.
   */
  async enqueueWhenRoom(name: string, payload: JsonValue, ttlSeconds: number | undefined): Promise<CommandRecord | null> {
    const until = Date.now() + this.ttlMs(ttlSeconds);
    for (;;) {
      const now = Date.now();
      if (now >= until) return null;
      const c = await this.enqueue(name, payload, Math.ceil((until - now) / 1000), now);
      if (c) return c;
      await new Promise((r) => setTimeout(r, ROOM_POLL_MS));
    }
  }

  private ttlMs(ttlSeconds: number | undefined): number {
    return Math.min(ttlSeconds === undefined ? this.limits.defaultTtlMs : ttlSeconds * 1000, this.limits.maxTtlMs);
  }

  /**
   * A JSON socket or CoAP observer of `/commands` just opened: commands an earlier one received
   * and never answered go to it again, oldest first, with their ids (at least once: the socket
   * that took them may have gone before the device acted). Then whatever is queued.
   */
  channelOpened(ws: WebSocket, now: number): void {
    for (const c of this.store.unanswered(["json", "coap"], now)) this.host.send(ws, { type: "command", id: c.id, name: c.name, payload: c.payload });
    this.deliverPending(now);
  }

  /**
   * The MQTT session's state was discarded (a clean session's connection ended, a persistent one
   * expired, or a CONNECT started a new one): commands it held but whose result never came are
   * queued again, and go out on the next delivery — at least once, as JSON and CoAP have it. A
   * session that resumes keeps them and resends them itself (DUP), so they are not touched then.
   */
  mqttSessionLost(now: number): void {
    const requeued = this.store.requeue("mqtt", now);
    if (requeued.length === 0) return;
    // Back to `queued`: the stream says so, as it said `delivered`.
    for (const c of requeued) this.host.emit("command.queued", commandView(this.host.deviceId(), c));
    this.deliverPending(now);
  }

  /** Delivers queued commands, oldest first, to every live channel that takes commands. */
  deliverPending(now: number): void {
    const queued = this.store.queued(now);
    if (queued.length === 0) return;
    const json = this.host.jsonChannels().filter((c) => c.protocol === "json" || c.observes.includes("commands"));
    const version = this.host.mqttConnected()?.version ?? null;
    const id = this.host.deviceId();
    const mqtt: Message[] = [];
    const took = new Map<string, string>();
    for (const c of queued) {
      for (const ch of json) {
        this.host.send(ch.ws, { type: "command", id: c.id, name: c.name, payload: c.payload });
        took.set(c.id, ch.protocol);
      }
      if (version !== null) {
        const m = commandMessage(id, c, version);
        // Too large for the client: it stays queued (for another protocol, or until it expires).
        if (this.host.mqttWants(m.topic) && this.host.mqttFits(m)) {
          mqtt.push(m);
          took.set(c.id, "mqtt");
        }
      }
    }
    if (mqtt.length) this.host.mqttDeliver(mqtt);
    const byProtocol = new Map<string, string[]>();
    for (const [cid, protocol] of took) byProtocol.set(protocol, [...(byProtocol.get(protocol) ?? []), cid]);
    for (const [protocol, ids] of byProtocol) {
      for (const d of this.store.delivered(ids, protocol, now)) this.host.emit("command.delivered", commandView(id, d));
    }
  }

  /** A page of commands as the API shows them, newest first (`before`: the seq cursor of the last page). */
  list(status: CommandStatus | null, limit: number, before: number | null) {
    const { rows, more } = this.store.list(status, limit, before);
    const id = this.host.deviceId();
    return { items: rows.map((c) => commandView(id, c)), next: more ? (rows[rows.length - 1]?.seq ?? null) : null };
  }

  /** One command as the API shows it, or null. */
  get(commandId: string) {
    const c = this.store.get(commandId);
    return c && commandView(this.host.deviceId(), c);
  }

  /**
   * Calls a direct method on every live connection that takes methods and waits for the answer:
   * "offline" when none does, "timeout" when none answers in time, "disconnected" when every
   * connection that took it closed before an answer.
   */
  callMethod(calls: MethodCalls, name: string, payload: JsonValue, timeoutMs: number) {
    return calls.call((requestId) => {
      const took: WebSocket[] = [];
      for (const ch of this.host.jsonChannels()) {
        if (ch.protocol === "coap" && !ch.observes.includes("methods")) continue;
        this.host.send(ch.ws, { type: "method", id: requestId, name, payload });
        took.push(ch.ws);
      }
      const mqtt = this.host.mqttConnected();
      if (mqtt) {
        const m = methodMessage(this.host.deviceId(), name, requestId, payload, mqtt.version);
        if (this.host.mqttWants(m.topic)) {
          took.push(mqtt.socket);
          // Too big for the client's Maximum Packet Size, it would be dropped unsent and the call
          // would wait out its timeout: it is answered now, as a CoAP client's Max-Message-Size is.
          if (this.host.mqttFits(m)) this.host.mqttDeliver([m]);
          else if (took.length === 1) calls.answer(requestId, 413, { error: `not sent: a ${m.payload.byteLength}-byte call is more than your MQTT Maximum Packet Size takes` });
        }
      }
      return took;
    }, timeoutMs);
  }

  /** The device's outcome of a command; false when it is unknown or already finished. */
  result(commandId: string, status: CommandOutcome, result: JsonValue | null, now: number): boolean {
    const c = this.store.finish(commandId, status, result, now);
    if (!c) return false;
    this.finished(c);
    return true;
  }

  private finished(c: CommandRecord): void {
    const id = this.host.deviceId();
    this.host.emit(`command.${c.status}` as DeviceEventType, commandView(id, c));
    const body = { id: c.id, name: c.name, status: c.status, result: c.result };
    this.host.publishOwn([{ topic: `devices/${id}/commands/${c.id}/result`, payload: encoder.encode(JSON.stringify(body)), qos: 1, retain: false }]);
    this.host.finished(c);
  }

  /** Expires what ran out (never delivered late) and arms the alarm for the next expiry. */
  async onAlarm(now: number): Promise<void> {
    for (const c of this.store.expire(now)) this.finished(c);
    await this.schedule();
  }

  private async schedule(): Promise<void> {
    await this.alarms.set("commands", this.store.nextExpiry());
  }
}
