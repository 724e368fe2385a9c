/**
 * The device's live event streams for apps: WebSockets (hibernatable, tag "stream") and
 * Server-Sent Events. Every change of the device becomes one `{type, deviceId, ts, data}` event.
 */
import { SseClients, type DeviceEvent, type DeviceEventType } from "./events";
import { closeQuietly, type Attachment } from "./sockets";
import { webSocketResponse } from "../shared/websocket-response";

export class LiveStreams {
  private readonly sse = new SseClients();
  private heartbeat: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ctx: DurableObjectState,
    private readonly deviceId: () => string,
  ) {}

  /** Opens a stream: a WebSocket when the request upgrades, else SSE (with a heartbeat every 15 s). */
  open(request: Request): Response {
    if (request.headers.get("upgrade")?.toLowerCase() === "websocket") {
      const pair = new WebSocketPair();
      this.ctx.acceptWebSocket(pair[1], ["stream"]);
      pair[1].serializeAttachment({ role: "stream" } satisfies Attachment);
      const sub = request.headers.get("x-umbra-subprotocol");
      return webSocketResponse(pair[0], sub);
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

  /** Ends every stream (the device was deleted): WebSockets close with `code`, SSE responses end. */
  end(code: number, reason: string): void {
    for (const ws of this.ctx.getWebSockets("stream")) closeQuietly(ws, code, reason);
    this.sse.closeAll();
    this.stopHeartbeatIfIdle();
  }

  /** Sends one event to every open stream of the device. */
  emit(type: DeviceEventType, data: unknown, ts = Date.now()): void {
    const sockets = this.ctx.getWebSockets("stream");
    // Nobody watching (the usual case on the telemetry path): nothing to build.
    if (sockets.length === 0 && this.sse.size === 0) return;
    const event: DeviceEvent = { type, deviceId: this.deviceId(), ts, data };
    const text = JSON.stringify(event);
    for (const ws of sockets) {
      try {
        ws.send(text);
      } catch {
        // a stream that went away is cleaned up by its close event
      }
    }
    this.sse.broadcast(event);
  }
}
