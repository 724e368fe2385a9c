/**
 * The device's live event streams for apps: WebSockets (hibernatable, tag "stream") and
 * Server-Sent Events. Every change of the device becomes one `{type, deviceId, ts, data}` event.
 * A stream keeps who opened it ({@link StreamHolder}): it ends when that credential is revoked
 * ({@link LiveStreams.endWhere}) and sends nothing once it expired, unless its OAuth client was
 * issued a newer token by then ({@link LiveStreams.renew}).
 */
import { SseClients, type DeviceEvent, type DeviceEventType } from "./events";
import { closeQuietly, sees, streamHolderOf, type Attachment, type StreamHolder } from "./sockets";
import { webSocketResponse } from "../shared/websocket-response";

/** The close code (and SSE end) of a stream whose credential was revoked or expired. */
const CREDENTIAL_ENDED = 4401;

export class LiveStreams {
  private readonly sse = new SseClients();
  /** Each stream socket's holder, read from its attachment once per wake-up, not once per event. */
  private readonly holders = new WeakMap<WebSocket, StreamHolder>();
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly deviceId: () => string,
  ) {}

  /** Opens a stream: a WebSocket when the request upgrades, else SSE (with a heartbeat every 15 s). */
  open(request: Request): Response {
    const holder = streamHolderOf(request);
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1], ["stream"]);
      pair[1].serializeAttachment({ role: "stream", ...holder } satisfies Attachment);
      const sub = request.headers.get("x-umbra-subprotocol");
      return webSocketResponse(pair[0], sub);
    }
    const res = this.sse.open(holder, () => this.stopHeartbeatIfIdle());
    this.heartbeat ??= setInterval(() => this.sse.heartbeat(), 15_000);
    return res;
  }

  private holderOf(ws: WebSocket): StreamHolder {
    let holder = this.holders.get(ws);
    if (holder === undefined) {
      holder = ws.deserializeAttachment() as StreamHolder;
      this.holders.set(ws, holder);
    }
    return holder;
  }

  private stopHeartbeatIfIdle(): void {
    if (this.sse.size === 0 && this.heartbeat) {
      clearInterval(this.heartbeat);
      this.heartbeat = null;
    }
  }

  /** Ends every stream (the device was deleted): WebSockets close with `code`, SSE responses end. */
  end(code: number, reason: string): void {
    this.endWhere(() => true, code, reason);
  }

  /** Ends the streams whose holder `matches` (its credential was revoked): close 4401 by default. */
  endWhere(matches: (holder: StreamHolder) => boolean, code = CREDENTIAL_ENDED, reason = "the credential was revoked"): void {
    for (const ws of this.ctx.getWebSockets("stream")) {
      if (matches(this.holderOf(ws))) closeQuietly(ws, code, reason);
    }
    this.sse.endWhere(matches);
    this.stopHeartbeatIfIdle();
  }

  /**
   * `owner` holds a token until `expiresAt` (an OAuth client was issued one): its streams that
   * would end when an earlier token expires last until then.
   */
  renew(owner: string, expiresAt: number): void {
    for (const ws of this.ctx.getWebSockets("stream")) {
      const holder = this.holderOf(ws);
      if (holder.owner !== owner || holder.expiresAt === undefined || holder.expiresAt >= expiresAt) continue;
      const renewed = { ...holder, expiresAt };
      ws.serializeAttachment({ role: "stream", ...renewed } satisfies Attachment);
      this.holders.set(ws, renewed);
    }
    for (const holder of this.sse.holders()) {
      if (holder.owner === owner && holder.expiresAt !== undefined && holder.expiresAt < expiresAt) holder.expiresAt = expiresAt;
    }
  }

  /** Sends one event to every open stream of the device (a stream whose credential expired ends instead). */
  emit(type: DeviceEventType, data: unknown, ts = Date.now()): void {
    const sockets = this.ctx.getWebSockets("stream");
    // Nobody watching (the usual case on the telemetry path): nothing to build.
    if (sockets.length === 0 && this.sse.size === 0) return;
    const now = Date.now();
    const expired = (h: StreamHolder) => h.expiresAt !== undefined && h.expiresAt <= now;
    const event: DeviceEvent = { type, deviceId: this.deviceId(), ts, data };
    const text = JSON.stringify(event);
    for (const ws of sockets) {
      const holder = this.holderOf(ws);
      if (expired(holder)) {
        closeQuietly(ws, CREDENTIAL_ENDED, "the credential expired");
        continue;
      }
      if (!sees(holder, type)) continue;
      try {
        ws.send(text);
      } catch {
        // a stream that went away is cleaned up by its close event
      }
    }
    this.sse.endWhere(expired);
    this.sse.broadcast(event);
  }
}
