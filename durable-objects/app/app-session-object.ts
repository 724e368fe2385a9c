/**
 * AppSessionObject: one per MQTT app session (`idFromName("<owner>/<clientId>")`). An app
 * (user name `app`, an API key or OAuth token as password) subscribes across devices as its
 * scopes allow: its filters are registered in the topic shards before the SUBACK, and
 * publishers deliver matching messages straight here — no object sits on every message's
 * path. It publishes to devices' topics (commands, delivered through the device's object)
 * and to shared topics (channels, the open topic space) through their shards.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { SANDBOX_FENCE, SANDBOX_POLICY, appPolicy, type Message, type PolicyStatement, type SessionContext } from "../../protocols/mqtt";
import { logText, logError } from "../../protocols/log-text";
import { DeviceStore } from "../device/store";
import { MqttHost } from "../device/mqtt-host";
import { acceptMqttSocket, closeQuietly, mqttAttachment, type Attachment, type MqttAttachment } from "../device/sockets";
import { deviceConfig } from "../device/config";
import { AlarmScheduler } from "../shared/alarms";
import { SenderRate } from "../shared/token-bucket";
import { DeviceDeliveries } from "../routing/device-deliveries";
import { DeliveryMarks, type DeliveryMark } from "../shared/delivery-marks";
import { ShardClient } from "../routing/shard-client";
import { appSession } from "../routing/sessions";
import { topicClass } from "../topic/shards";

/** The owner part of an anonymous sandbox session's name (`anonymous/<clientId>`). */
export const ANONYMOUS = "anonymous";

function stringList(header: string | null): string[] {
  try {
    const v: unknown = JSON.parse(header ?? "[]");
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : [];
  } catch {
    return [];
  }
}

export class AppSessionObject extends DurableObject<Env> {
  private readonly store: DeviceStore;
  private readonly mqtt: MqttHost;
  private readonly alarms: AlarmScheduler;
  private readonly marks: DeliveryMarks;
  private readonly linkCheckMs: number;
  private accessCache: SessionContext | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeviceStore(ctx.storage.sql);
    this.store.migrate();
    // An object woken by its alarm (after a restart, or once evicted) has no `ctx.id.name`: keep the
    // name from the first event that had it. Without it the alarm ran for a nameless session: a
    // client lost with the hub was settled with no will published (seen as a flaky restart test).
    if (ctx.id.name && this.store.getMeta<string>("session") !== ctx.id.name) this.store.setMeta("session", ctx.id.name);
    const session = () => this.ctx.id.name ?? this.store.getMeta<string>("session") ?? "";
    const alarms = (this.alarms = new AlarmScheduler(ctx.storage));
    // Anonymous sandbox clients (`anonymous/<clientId>`) live in a topic space of their own.
    const sandbox = session().startsWith(`${ANONYMOUS}/`);
    const shards = new ShardClient(env, sandbox ? "sandbox" : "default");
    const config = deviceConfig(env);
    this.linkCheckMs = config.presenceCheckMs;
    const devices = new DeviceDeliveries(env);
    const marks = (this.marks = new DeliveryMarks(ctx.storage.sql));
    this.mqtt = new MqttHost({
      get deviceId() {
        return session().split("/").slice(1).join("/");
      },
      get address() {
        return appSession(session());
      },
      store: this.store,
      sql: ctx.storage.sql,
      marks,
      durable: () => ctx.storage.sync(),
      // Anonymous sandbox clients meet refused publishes as Mosquitto's do: acknowledged and dropped (3.1.1).
      limits: sandbox ? { ...config.mqtt, refusedPublish: "acknowledge" } : config.mqtt,
      rate: new SenderRate(config.rate.perSecond, config.rate.burst, Date.now()),
      maxPendingAcks: config.maxPendingAcks,
      roomWaitMs: config.roomWaitMs,
      sockets: () => this.ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN),
      closeOtherProtocols: () => undefined,
      // While a client is connected, an alarm checks now and then that its link is still there:
      // after a hub restart it is not, and only then do its will and session expiry take effect.
      presence: (connected) => {
        if (connected) this.checkLinkLater();
      },
      context: () => this.access(),
      // A QoS 2 message (`once`) carries its mark: its receiver stores it once, however often it comes.
      route: async (message, _self, once) => {
        const c = topicClass(message.topic);
        // Devices are outside the sandbox whatever policy is attached to anonymous: a sandbox
        // client's devices/… or shadow publish must never become a device's command or update.
        if (c.kind === "device") return sandbox ? { reason: 0x87 } : { reason: 0, durable: devices.send(c.deviceId, message, once?.mark) };
        if (c.kind === "shared") return { reason: 0, durable: shards.publish(message, once?.mark) };
        return { reason: 0x87 };
      },
      subscribe: (filters) => shards.subscribe(appSession(session()), filters),
      unsubscribe: (filters) => shards.unsubscribe(appSession(session()), filters),
      retained: (filter) => shards.retained(filter),
      scheduleAlarm: (at) => alarms.set("mqtt", at),
    });
  }

  /**
   * The session's policy: an app's comes from its scopes plus the policies attached to its
   * credential (deny wins); an anonymous client's from the policies attached to `anonymous`,
   * or the sandbox default. Variables: `${clientId}`.
   */
  private access(): SessionContext {
    if (this.accessCache) return this.accessCache;
    const name = this.ctx.id.name ?? this.store.getMeta<string>("session") ?? "";
    const statements = this.store.getMeta<PolicyStatement[]>("statements") ?? [];
    const anonymous = name.startsWith(`${ANONYMOUS}/`);
    const policy = anonymous ? [...(statements.length ? statements : SANDBOX_POLICY), ...SANDBOX_FENCE] : [...appPolicy(this.store.getMeta<string[]>("scopes") ?? []), ...statements];
    this.accessCache = { policy, variables: { clientId: name.split("/").slice(1).join("/") } };
    return this.accessCache;
  }

  /** Accepts the link of an authenticated app (the edge Worker checked the credential). */
  override async fetch(request: Request): Promise<Response> {
    const session = request.headers.get("x-umbra-session") ?? "";
    if (!this.ctx.id.name && session) this.store.setMeta("session", session);
    this.store.setMeta("scopes", stringList(request.headers.get("x-umbra-scopes")));
    this.store.setMeta("statements", JSON.parse(request.headers.get("x-umbra-statements") ?? "[]") as unknown);
    this.accessCache = null;
    const attachment = mqttAttachment(request);
    // An OAuth access token ends the session's connection when it expires.
    if (attachment.expiresAt !== undefined) await this.alarms.set("credential", attachment.expiresAt);
    return acceptMqttSocket(this.ctx, attachment, request);
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    try {
      await this.mqtt.onMessage(ws, message);
    } catch (err) {
      console.error(`AppSessionObject ${logText(this.ctx.id.name ?? "")}: ${logError(err)}`);
      closeQuietly(ws, 1011, "internal error");
    }
  }

  override async webSocketClose(ws: WebSocket, code: number): Promise<void> {
    closeQuietly(ws, code, "closed");
    if ((ws.deserializeAttachment() as Attachment | null)?.role === "device") await this.mqtt.onClose(ws);
  }

  override async webSocketError(ws: WebSocket): Promise<void> {
    await this.mqtt.onClose(ws);
  }

  override async alarm(): Promise<void> {
    this.alarms.fired();
    await this.mqtt.onAlarm();
    if (await this.mqtt.settleLost()) this.checkLinkLater();
    const now = Date.now();
    const expiry = (a: MqttAttachment) => a.expiresAt !== undefined && a.expiresAt <= now;
    await this.mqtt.revoke(0x87, false, expiry);
    const live = this.ctx.getWebSockets("mqtt").map((ws) => (ws.deserializeAttachment() as MqttAttachment | null)?.expiresAt ?? Infinity);
    const next = Math.min(...live.filter((t) => t > now));
    if (Number.isFinite(next)) await this.alarms.set("credential", next);
    await this.alarms.rearm();
  }

  /** Arms the link check (`PRESENCE_CHECK_SECONDS`, as for devices; 0: never). */
  private checkLinkLater(): void {
    if (this.linkCheckMs > 0) this.alarms.set("link", Date.now() + this.linkCheckMs).catch((err: unknown) => console.error(`AppSessionObject: link check not armed: ${logError(err)}`));
  }

  /**
   * The credential that owns this session was revoked (or expired for good): the connection
   * ends (v5 DISCONNECT 0x87) and so does the session, with its subscriptions.
   */
  async revoke(reason: "revoked" | "expired"): Promise<void> {
    await this.mqtt.revoke(0x87, reason === "revoked");
  }

  /** The policies attached to this session's credential changed: the session follows at once. */
  async accessChanged(statements: PolicyStatement[]): Promise<void> {
    this.store.setMeta("statements", statements);
    this.accessCache = null;
    await this.mqtt.accessChanged();
  }

  /** Messages matching this session's subscriptions, in order; resolves once stored (each outbox's once). */
  async deliverMessages(messages: Message[], mark?: DeliveryMark): Promise<void> {
    const fresh = this.marks.fresh(messages, mark);
    await this.mqtt.deliver(fresh.messages, fresh.mark);
  }
}
