/**
 * AppSessionObject: one per MQTT app session (`idFromName("<app>/<clientId>")`). An app
 * (user name `app`, an API key or OAuth token as password) subscribes across devices by scope:
 * its filters go into the fleet index (D1 `app_subscriptions`) that device objects cache, and
 * devices send matching messages straight here — no object sits on every message's path.
 * With `commands:write` it publishes to `devices/<id>/commands/...`, delivered to that device.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { appPolicy, type Message } from "../../protocols/mqtt";
import { DeviceStore } from "../device/store";
import { MqttHost } from "../device/mqtt-host";
import { acceptMqttSocket, closeQuietly, mqttAttachment, type Attachment } from "../device/sockets";
import { deviceConfig } from "../device/config";
import { logText, logError } from "../../protocols/log-text";

const COMMANDS = /^devices\/([A-Za-z0-9_.:-]{1,128})\/commands(?:\/|$)/;

export class AppSessionObject extends DurableObject<Env> {
  private readonly store: DeviceStore;
  private readonly mqtt: MqttHost;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new DeviceStore(ctx.storage.sql);
    this.store.migrate();
    const session = () => this.ctx.id.name ?? this.store.getMeta<string>("session") ?? "";
    const scopes = () => this.store.getMeta<string[]>("scopes") ?? [];
    let alarmAt: number | null = null;
    this.mqtt = new MqttHost({
      get deviceId() {
        return session().split("/").slice(1).join("/");
      },
      store: this.store,
      limits: deviceConfig(env as unknown as Record<string, unknown>).mqtt,
      sockets: () => this.ctx.getWebSockets("mqtt").filter((ws) => ws.readyState === WebSocket.OPEN),
      checkPassword: async () => false,
      closeOtherProtocols: () => undefined,
      presence: () => undefined,
      context: () => ({ policy: appPolicy(scopes()), variables: {} }),
      route: async (message) => {
        const m = COMMANDS.exec(message.topic);
        if (!m?.[1]) return { reason: 0x87 };
        const device = this.env.DEVICE.get(this.env.DEVICE.idFromName(m[1]));
        await device.deliverMessage({ ...message, origin: `app:${session()}` });
        return { reason: 0 };
      },
      subscribe: async (filter) => {
        await this.env.DB.prepare("INSERT OR IGNORE INTO app_subscriptions (session_id, filter) VALUES (?, ?)").bind(session(), filter).run();
      },
      unsubscribe: async (filter) => {
        await this.env.DB.prepare("DELETE FROM app_subscriptions WHERE session_id = ? AND filter = ?").bind(session(), filter).run();
      },
      retained: async () => [],
      scheduleAlarm: async (at) => {
        if (at === null || (alarmAt !== null && alarmAt > Date.now() && alarmAt <= at)) return;
        await this.ctx.storage.setAlarm(at);
        alarmAt = at;
      },
    });
  }

  /** Accepts the relayed socket of an authenticated app (the Worker checked the credential). */
  override async fetch(request: Request): Promise<Response> {
    const session = request.headers.get("x-umbra-session") ?? "";
    if (!this.ctx.id.name && session) this.store.setMeta("session", session);
    const scopes: unknown = JSON.parse(request.headers.get("x-umbra-scopes") ?? "[]");
    this.store.setMeta("scopes", Array.isArray(scopes) ? scopes.filter((s): s is string => typeof s === "string") : []);
    return acceptMqttSocket(this.ctx, mqttAttachment(request, [], []), request);
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
    await this.mqtt.onAlarm();
  }

  /** A device's message matching one of this session's filters. */
  async deliverMessage(message: Message): Promise<void> {
    await this.mqtt.deliver([message]);
  }
}
