/**
 * The device's domain inside its object: the modules it is made of, wired together, and what
 * happens on each change (a shadow request, telemetry, presence): stored, streamed, published
 * on the device's topics, judged by its rules. The DeviceObject class is the shell around it.
 */
import type { Env } from "../env";
import type { JsonObject } from "../../protocols/json-value";
import type { Message } from "../../protocols/mqtt";
import type { RuleSource } from "../../rules";
import { deviceConfig, type DeviceConfig } from "./config";
import { DeviceStore, type TelemetryRow } from "./store";
import { runShadow, type ShadowOutcome } from "./shadow-service";
import { jsonPushes, type JsonDeviceHost } from "./json-device";
import { connectionSockets, deviceSockets, type DeviceProtocol, type JsonAttachment, type MqttAttachment } from "./sockets";
import { AlarmScheduler } from "../shared/alarms";
import { logError, logText } from "../../protocols/log-text";
import { SenderRate } from "../shared/token-bucket";
import { GroupCommit } from "../shared/group-commit";
import { CredentialWatch } from "./credential-watch";
import { nextPresence, presenceRuleData, readPresence, statusOf, type Presence } from "./presence";
import { MqttHost } from "./mqtt-host";
import { mqttServices, shadowMessages, type TelemetryItem } from "./mqtt-routing";
import { ShardClient } from "../routing/shard-client";
import { OwnTopics } from "./own-topics";
import { LiveStreams } from "./live-streams";
import { JsonConnections, type EndReason } from "./json-connections";
import { DeviceAccess } from "./device-access";
import { CommandStore, type CommandOutcome } from "./commands";
import { CommandDispatch } from "./command-dispatch";
import { MethodCalls } from "./method-calls";
import { deviceRegistered } from "./registered";
import { shadowTopic } from "./mqtt-topics";
import { DeviceRules } from "./device-rules";
import { RuleActions } from "./rule-actions";
import { DeliveryMarks } from "../shared/delivery-marks";

const encoder = new TextEncoder();

/** How often a connected device's latest activity is written with its presence (see DeviceCore.seen). */
const LAST_SEEN_STORE_MS = 1_000;

export class DeviceCore {
  readonly store: DeviceStore;
  readonly config: DeviceConfig;
  readonly streams: LiveStreams;
  readonly json: JsonConnections;
  readonly access: DeviceAccess;
  readonly mqtt: MqttHost;
  readonly shards: ShardClient;
  readonly own: OwnTopics;
  /** What the device's session (and command queue) already stored from each outbox that delivers to it. */
  readonly marks: DeliveryMarks;
  /** MQTT telemetry, written in one transaction per batch before its PUBACKs leave. */
  readonly telemetryCommit: GroupCommit<TelemetryItem>;
  readonly alarms: AlarmScheduler;
  readonly credentials: CredentialWatch;
  readonly commands: CommandDispatch;
  readonly commandStore: CommandStore;
  readonly methods = new MethodCalls();
  readonly rules: DeviceRules;
  readonly ruleActions: RuleActions;
  /** The device's message rate, across its protocols. */
  readonly rate: SenderRate;
  /** The device's last message on any of its sockets (ms); see {@link seen}. */
  lastSeen = 0;
  /** When `lastSeen` was last written to the stored presence. */
  private lastSeenStored = 0;
  private startSettled = false;
  /** The device's id once known (it never changes): read per message, and `ctx.id.name` is a native call. */
  private knownId: string | null = null;
  private registered = false;

  constructor(
    readonly ctx: DurableObjectState,
    private readonly env: Env,
  ) {
    this.store = new DeviceStore(ctx.storage.sql);
    this.config = deviceConfig(env);
    this.store.migrate();
    // An object woken by its alarm (after a restart, or once evicted) has no `ctx.id.name`: keep
    // the name from the first request that had it, or its rules would load for no device.
    const name = ctx.id.name;
    if (name && this.store.getMeta<string>("deviceId") !== name) this.store.setMeta("deviceId", name);
    const id = () => this.deviceId;
    this.alarms = new AlarmScheduler(ctx.storage);
    this.rate = new SenderRate(this.config.rate.perSecond, this.config.rate.burst, Date.now());
    this.streams = new LiveStreams(ctx, id);
    this.json = new JsonConnections(ctx);
    this.access = new DeviceAccess(this.store, id);
    this.shards = new ShardClient(env, "default");
    this.own = new OwnTopics(env, ctx.storage.sql, id, this.shards, this.alarms);
    this.marks = new DeliveryMarks(ctx.storage.sql);
    this.credentials = new CredentialWatch(this.store, this.alarms, (cid, why) => {
      // Streams the device opened with that credential (GET /v1/devices/<id>/events as itself) end too.
      this.streams.endWhere((h) => h.credentialId === cid);
      return this.endConnections((a) => a.credentialId === cid, why);
    });
    // Telemetry arriving while a batch commits goes in the next batch, written once that one is durable.
    this.telemetryCommit = new GroupCommit(
      (batch) => {
        try {
          ctx.storage.transactionSync(() => {
            // A QoS 2 message routed again (a restart cut its first routing off) is stored once.
            const items = batch.filter((i) => !i.once || i.once.claim());
            if (items.length === 0) return;
            this.storeTelemetry(
              items.map((i) => i.row),
              items.map((i) => i.message),
            );
          });
        } catch (err) {
          // Rolled back: the outbox must not send what it no longer holds.
          this.own.drain.rolledBack();
          throw err;
        }
      },
      256,
      () => ctx.storage.sync(),
    );
    this.commandStore = new CommandStore(ctx.storage.sql);
    this.commands = new CommandDispatch(
      this.commandStore,
      {
        deviceId: id,
        jsonChannels: () => this.json.channels(),
        send: (ws, m) => this.json.send(ws, m),
        mqttConnected: () => this.mqtt.connected(),
        mqttWants: (topic) => this.mqtt.wants(topic),
        mqttFits: (message) => this.mqtt.fits(message),
        mqttDeliver: (messages) => void this.mqtt.deliver(messages),
        emit: (type, data) => this.streams.emit(type, data),
        publishOwn: (messages) => this.own.publish(messages),
        // A rule's command carries its depth to the rules its result fires (a rule answering every
        // result with a command stops, as a desired-state loop does).
        finished: (c) =>
          this.ruleEvent({ source: "command.result", data: { id: c.id, name: c.name, status: c.status, result: c.result }, topic: `devices/${this.deviceId}/commands/${c.id}/result` }, c.depth),
      },
      this.alarms,
      this.config.commands,
    );
    const actions = (this.ruleActions = new RuleActions(env, ctx.storage.sql, id, this.streams, this.own, this.shards, {
      command: (name, payload, depth) => this.commands.enqueue(name, payload, undefined, Date.now(), depth),
      desired: (shadow, state, depth) => this.applyShadow(shadow, { kind: "update", state: { desired: state } }, null, depth),
    }, this.alarms));
    this.rules = new DeviceRules(ctx.storage.sql, env.DB, id, this.alarms, (rule, firing, depth) => actions.run(rule, firing, depth));
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
        roomWaitMs: this.config.roomWaitMs,
        access: () => this.access.get(),
        shadow: (name, input, mqttSelf) => this.applyShadow(name, input, mqttSelf),
        telemetryBatched: (items, inBurst) => this.telemetryCommit.add(items, inBurst),
        telemetryBurstDone: () => this.telemetryCommit.burstDone(),
        selfDeliver: (messages) => this.selfDeliver(messages),
        own: this.own,
        marks: this.marks,
        shards: this.shards,
        // An MQTT connection taken over by JSON or CoAP: the device is still connected, over that.
        presence: (connected, remote, closedNow) => {
          if (connected || deviceSockets(this.ctx).length === 0) this.markPresence(connected, "mqtt", remote, closedNow);
        },
        alarms: this.alarms,
        closeJsonSockets: () => this.json.closeAll(),
        commandResult: (cid, status, result) => this.commands.result(cid, status, result, Date.now()),
        methodResponse: (rid, status, payload) => this.methods.answer(rid, status, payload),
        ready: () => this.commands.deliverPending(Date.now()),
        sessionLost: () => this.commands.mqttSessionLost(Date.now()),
      }),
    );
  }

  get deviceId(): string {
    if (this.knownId !== null) return this.knownId;
    const id = this.ctx.id.name ?? this.store.getMeta<string>("deviceId");
    if (id === null) return "unknown";
    this.knownId = id;
    return id;
  }

  async ready(): Promise<void> {
    if (this.own.loaded && this.rules.loaded && this.startSettled) return;
    await Promise.all([this.own.ready(), this.rules.ready()]);
    this.settleAfterStart();
  }

  /**
   * Once per object life, with the rules loaded: a device stored as connected whose sockets are
   * gone (the hub restarted, or the object was reset, while it was connected; no close event
   * ever came) is marked offline now, so its status and presence rules stop waiting for it; its
   * MQTT session loses that connection too (the will goes out). Rule actions a crash cut off run.
   */
  private settleAfterStart(): void {
    if (this.startSettled) return;
    this.startSettled = true;
    // Firings an earlier life stored but did not finish: their actions run now.
    this.ruleActions.resume();
    // Not awaited: this may run inside an MQTT event, which the settling waits behind.
    this.mqtt.settleLost().catch((err: unknown) => console.error(`MQTT session of ${logText(this.deviceId)} not settled: ${logError(err)}`));
    const p = readPresence(this.store);
    if (!p.connected) return;
    // The connection presence names was opened no later than it was marked connected; a socket
    // opened after (a device reconnecting the moment the hub is back) is a new one, and the old is gone.
    const since = p.connected_at ?? 0;
    const survives = connectionSockets(this.ctx).some((ws) => ((ws.deserializeAttachment() as { connectedAt?: number } | null)?.connectedAt ?? 0) <= since);
    if (survives) return;
    this.markPresence(false, (p.protocol ?? "json") as DeviceProtocol, p.remote_address, false);
  }

  /**
   * Evaluates the device's rules on an event of theirs (inside the write that stored it);
   * `depth` counts the rule firings that led to it (a desired state set by a rule's action).
   */
  ruleEvent(event: { source: RuleSource; data: JsonObject; ts?: number; topic?: string | null }, depth = 0): void {
    if (this.rules.wants(event.source)) this.rules.onEvent(event, Date.now(), depth);
  }

  /** Ends connections whose credential matches, in each protocol's terms (json-connections.ts, MQTT 0x87/0x98). */
  async endConnections(matches: (a: JsonAttachment | MqttAttachment) => boolean, why: EndReason, detail?: string): Promise<void> {
    this.json.end(matches, why, detail);
    await this.mqtt.revoke(why === "disabled" ? 0x98 : 0x87, false, matches);
  }


  /** Whether the registry holds this device (a yes is kept: deleting the device wipes this core). */
  async isRegistered(): Promise<boolean> {
    if (!this.registered) this.registered = await deviceRegistered(this.env.DB, this.deviceId);
    return this.registered;
  }

  /**
   * The device was deleted: its connections end in each protocol's terms (JSON `device_deleted` +
   * 4404, MQTT DISCONNECT 0x98 and the session forgotten), and its live streams see the disconnect
   * and then end (WebSocket close 4404, SSE response ends).
   */
  async endForDeletion(): Promise<void> {
    this.json.end(() => true, "deleted");
    await this.mqtt.revoke(0x98, true);
    const p = readPresence(this.store); // still connected unless the MQTT session's end said so
    const now = Date.now();
    const gone = p.connected ? nextPresence(p, false, p.protocol ?? "json", p.remote_address, this.lastSeen, now) : null;
    if (gone) this.streams.emit("presence.disconnected", statusOf(gone, 0), now);
    this.streams.end(4404, "device deleted");
  }

  jsonHost(ws: WebSocket): JsonDeviceHost {
    return {
      shadow: (name, input) => this.applyShadow(name, input, null),
      telemetry: (data: JsonObject, ts: number) => this.storeTelemetry([{ ts, data }]),
      wait: (now) => this.rate.admit(now),
      commandResult: (id, status: CommandOutcome, result) => this.commands.result(id, status, result, Date.now()),
      methodResponse: (id, status, payload) => this.methods.answer(id, status, payload),
      observe: (resource, on) => {
        // Unanswered commands go again to a connection that starts observing, once: the CoAP side
        // sends a command to every observer of /commands on it, so a second token or a
        // re-registration (RFC 7641 §3.3.1) would otherwise get them all once more, each time.
        if (this.json.observe(ws, resource, on) && on && resource === "commands") this.commands.channelOpened(ws, Date.now());
      },
    };
  }

  /**
   * Runs a shadow request and publishes what it changed: app streams, JSON devices, and the
   * MQTT session (into `mqttSelf` when the request came from that session, which is mid-event).
   */
  applyShadow(name: string, input: unknown, mqttSelf: Message[] | null, depth = 0): ShadowOutcome {
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
    if (r.op === "update") this.shadowRuleEvents(o.name, input, now, depth);
    return o;
  }

  /** `shadow.reported` / `shadow.desired` rule events: the whole section after a change to it. */
  private shadowRuleEvents(name: string, input: unknown, now: number, depth: number): void {
    const changed = (input as { state?: Record<string, unknown> | null }).state ?? {};
    const doc = this.store.getShadow(name);
    if (!doc || "deleted" in doc) return;
    const topic = `${shadowTopic(this.deviceId, name)}/update`;
    if (changed === null || "reported" in changed) this.ruleEvent({ source: "shadow.reported", data: doc.state.reported ?? {}, ts: now, topic }, depth);
    if (changed === null || "desired" in changed) this.ruleEvent({ source: "shadow.desired", data: doc.state.desired ?? {}, ts: now, topic }, depth);
  }

  /**
   * Stores telemetry, streams it, and publishes it on the device's telemetry topic: MQTT
   * messages as the device sent them, samples from other protocols as `{"ts","data"}` JSON.
   */
  storeTelemetry(rows: TelemetryRow[], messages?: Message[]): void {
    const now = Date.now();
    this.store.insertTelemetry(rows, this.config.telemetryMaxRows, this.config.telemetryMaxAgeMs, now);
    for (const row of rows) this.streams.emit("telemetry", row, now);
    rows.forEach((row, i) => this.ruleEvent({ source: "telemetry", data: row.data, ts: row.ts, topic: messages?.[i]?.topic ?? null }));
    const topic = `devices/${this.deviceId}/telemetry`;
    this.own.publish(messages ?? rows.map((row) => ({ topic, payload: encoder.encode(JSON.stringify(row)), qos: 1, retain: false })));
  }

  /** Messages on the device's own topics for its own session, when it subscribed to them. */
  private selfDeliver(messages: Message[]): void {
    const wanted = messages.filter((m) => this.mqtt.wants(m.topic));
    if (wanted.length) void this.mqtt.deliver(wanted);
  }

  /**
   * Records presence, streams it, runs presence rules, and publishes it on `devices/<id>/presence`.
   * `closedNow` false: a connection found gone after a restart (its last sign of life is older).
   */
  markPresence(connected: boolean, protocol: DeviceProtocol, remote: string | null, closedNow = true): void {
    const now = Date.now();
    const p = nextPresence(readPresence(this.store), connected, protocol, remote, this.lastSeen, now, closedNow);
    if (!p) return;
    this.store.setMeta("presence", p);
    this.streams.emit(connected ? "presence.connected" : "presence.disconnected", statusOf(p, 0), now);
    this.ruleEvent({ source: "presence", data: presenceRuleData(p, 0), ts: now });
    const body = { connected, protocol: p.protocol, ts: now };
    this.own.publish([{ topic: `devices/${this.deviceId}/presence`, payload: encoder.encode(JSON.stringify(body)), qos: 1, retain: false }]);
    if (connected) this.checkPresenceLater(now).catch((err: unknown) => console.error(`presence check of ${logText(this.deviceId)} not armed: ${logError(err)}`));
  }

  /**
   * From the alarm (after {@link ready}, which marked a device whose sockets went with a restart
   * offline): a device still connected is checked again later.
   */
  async presenceOnAlarm(now: number): Promise<void> {
    const p = readPresence(this.store);
    if (!p.connected) return;
    // What the last second of activity left unwritten (see seen).
    this.storeLastSeen(p);
    await this.checkPresenceLater(now);
  }

  /**
   * A message came from the device at `now`. Kept in memory, and written into the stored presence
   * (inside the write the message makes anyway) at most once per LAST_SEEN_STORE_MS: after a crash
   * `last_seen` is then at most that much before the device's last sign of life.
   */
  seen(now: number): void {
    this.lastSeen = now;
    if (now - this.lastSeenStored < LAST_SEEN_STORE_MS) return;
    this.lastSeenStored = now;
    this.storeLastSeen(readPresence(this.store));
  }

  /** Writes the latest activity into `p`, the stored presence, when the device is connected and it is newer. */
  private storeLastSeen(p: Presence): void {
    if (p.connected && this.lastSeen > (p.last_seen ?? 0)) this.store.setMeta("presence", { ...p, last_seen: this.lastSeen });
  }

  /** Arms the presence check (config.presenceCheckMs): the alarm outlives a restart of the hub, the sockets do not. */
  private async checkPresenceLater(now: number): Promise<void> {
    if (this.config.presenceCheckMs > 0) await this.alarms.set("presence", now + this.config.presenceCheckMs);
  }
}
