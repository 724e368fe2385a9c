/**
 * The device's JSON-speaking sockets: a JSON device on `/v1/connect`, or the edge's link for a
 * CoAP connection (hibernatable, tag "device"). One live connection per device: the newest
 * wins and the older is told why inside the protocol (workerd may hold a closed connection's
 * TCP open), then closed.
 */
import type { HubMessage } from "../../protocols/json/messages";
import type { JsonChannel } from "./command-dispatch";
import { RATE_EXCEEDED } from "./json-device";
import { PollWindow } from "../shared/poll-window";
import { closeQuietly, credentialOf, deviceSockets, type Attachment, type JsonAttachment, type MqttAttachment } from "./sockets";

/** Why connections end: a revoked or expired credential (close 4401), a disabled device (4403), a deleted one (4404). */
export type EndReason = "revoked" | "expired" | "disabled" | "deleted";

/** Per reason: the `error` code, the close code and the text both carry. */
const ENDINGS: Record<EndReason, { code: string; close: number; message: string }> = {
  revoked: { code: "credential_revoked", close: 4401, message: "the credential was revoked" },
  expired: { code: "credential_expired", close: 4401, message: "the credential was expired" },
  disabled: { code: "device_disabled", close: 4403, message: "the device was disabled" },
  deleted: { code: "device_deleted", close: 4404, message: "the device was deleted" },
};

export class JsonConnections {
  /** Replies not sent yet, per socket (see {@link reply}). */
  private readonly waiting = new Map<WebSocket, HubMessage[]>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Frames each socket delivered back to back (see {@link floods}). */
  private readonly windows = new WeakMap<WebSocket, PollWindow>();

  constructor(private readonly ctx: DurableObjectState) {}

  /**
   * Counts a frame from `ws`; once its frames have come back to back for more than `limit` ms
   * (PollWindow: it sends faster than the hub reads, without waiting for answers), the device is
   * told `rate_exceeded` and disconnected, and the frame is not handled.
   */
  floods(ws: WebSocket, limit: number): boolean {
    let window = this.windows.get(ws);
    if (!window) this.windows.set(ws, (window = new PollWindow(limit)));
    if (!window.flooding(Date.now())) return false;
    this.reply(ws, [{ type: "error", code: RATE_EXCEEDED, message: `messages back to back for more than ${limit} ms, faster than the hub reads them: the connection ends` }]);
    return true;
  }

  /** Accepts a socket for `protocol` (after the older ones were told and closed). */
  accept(request: Request, protocol: "json" | "coap"): { client: WebSocket; server: WebSocket; remote: string | null } {
    this.closeAll();
    const pair = new WebSocketPair();
    const remote = request.headers.get("x-umbra-remote") || null;
    this.ctx.acceptWebSocket(pair[1], ["device"]);
    pair[1].serializeAttachment({ role: "device", protocol, connectedAt: Date.now(), remote, observes: [], ...credentialOf(request) } satisfies Attachment);
    return { client: pair[0], server: pair[1], remote };
  }

  /** Tells every open socket it was replaced, then closes it (close 4000). */
  closeAll(): void {
    for (const old of deviceSockets(this.ctx)) {
      this.flush(old);
      this.send(old, { type: "error", code: "session_taken_over", message: "replaced by a newer connection of this device" });
      closeQuietly(old, 4000, "replaced by a newer connection of this device");
    }
  }

  /** The open sockets, with what each takes (CoAP links: what their client observes). */
  channels(): JsonChannel[] {
    return deviceSockets(this.ctx).map((ws) => {
      const a = ws.deserializeAttachment() as JsonAttachment;
      return { ws, protocol: a.protocol, observes: a.observes ?? [] };
    });
  }

  /**
   * A CoAP link's client now observes `resource` (`on`), or no longer does: nothing more of it is
   * sent there, and a method call finds the device offline. False when nothing changed (another
   * token, or a re-registration).
   */
  observe(ws: WebSocket, resource: "commands" | "methods", on: boolean): boolean {
    const a = ws.deserializeAttachment() as JsonAttachment;
    // A JSON device takes both without asking: `observe` is the CoAP links' message only.
    if (a.protocol !== "coap") return false;
    const observes = a.observes ?? [];
    if (observes.includes(resource) === on) return false;
    ws.serializeAttachment({ ...a, observes: on ? [...observes, resource] : observes.filter((r) => r !== resource) } satisfies JsonAttachment);
    return true;
  }

  /**
   * Ends the sockets whose credential `matches`: `error` naming the reason, then its close code
   * ({@link ENDINGS}); the edge turns a CoAP link's close into an Abort.
   */
  end(matches: (a: JsonAttachment | MqttAttachment) => boolean, why: EndReason, detail?: string): void {
    const ending = ENDINGS[why];
    const message = detail ?? ending.message;
    for (const ws of deviceSockets(this.ctx)) {
      if (!matches(ws.deserializeAttachment() as JsonAttachment)) continue;
      this.flush(ws);
      this.send(ws, { type: "error", code: ending.code, message });
      closeQuietly(ws, ending.close, message);
    }
  }

  /** Sends a message to every open socket. */
  broadcast(messages: readonly HubMessage[]): void {
    for (const ws of deviceSockets(this.ctx)) for (const m of messages) this.send(ws, m);
  }

  /**
   * Sends the replies to a device's frame from a timer, not from the frame's own event. workerd
   * polls its sockets only when its queue of ready events is empty (its event loop never polls
   * while busy), and a device that keeps several messages unanswered always has its next frame
   * buffered: read, handle, commit, write the ack, read again is a chain of events that never
   * waits for a poll. Ten such devices kept a local hub from accepting any connection or reading
   * any other socket for tens of seconds. A timer fires only after a poll, so every device's
   * window of unanswered messages now waits for one, and what else waits is read meanwhile.
   * Replies keep their order. A device told `rate_exceeded` (it kept sending past its refusals,
   * SenderRate) gets what waited for it and that, and is disconnected at once: a device that
   * sends without waiting for answers would keep the timer from ever firing.
   */
  reply(ws: WebSocket, messages: readonly HubMessage[]): void {
    if (messages.length === 0) return;
    const queue = this.waiting.get(ws);
    if (queue) queue.push(...messages);
    else this.waiting.set(ws, [...messages]);
    const refused = messages.find((m) => m.type === "error" && m.code === RATE_EXCEEDED);
    if (refused) {
      this.flush(ws);
      // Its own words: past its rate and refusals, or flooding (SOCKET_FLOOD_MS), which is not the rate.
      closeQuietly(ws, 4429, "message" in refused && typeof refused.message === "string" ? refused.message : "over the device's message rate");
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      for (const w of [...this.waiting.keys()]) this.flush(w);
    }, 0);
  }

  /** Sends the replies waiting for `ws` (before anything that must follow them). */
  private flush(ws: WebSocket): void {
    const queue = this.waiting.get(ws);
    if (!queue) return;
    this.waiting.delete(ws);
    for (const m of queue) this.send(ws, m);
  }

  send(ws: WebSocket, message: HubMessage): void {
    try {
      ws.send(JSON.stringify(message));
    } catch {
      // the socket closed under us; its close event updates presence
    }
  }
}
