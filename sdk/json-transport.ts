/**
 * The JSON-over-WebSocket device protocol (`/v1/connect`, subprotocol `umbra.v1`). The token
 * travels as the subprotocol `token.<token>`, which browsers can send too. Telemetry carries an
 * `id` so the hub acks it once stored; shadow reports carry a `clientToken`. Unanswered ones are
 * sent again after a reconnect (at least once), and `busy` is retried after `retryAfterMs`.
 */
import { ClosedError, ConnectError, HubRefusedError, ShadowRejectedError } from "./errors";
import type { CommandStatus, DeviceMessage, HubMessage, JsonObject, JsonValue, ShadowUpdateMessage, TelemetryMessage } from "./messages";
import { isObject } from "./messages";
import { PendingCalls } from "./pending";
import type { SocketFactory, SocketLike } from "./socket";
import { OPEN, frameText, socketUrl, upgradeStatus } from "./socket";
import type { Transport, TransportEvents } from "./transport";

/** Settings of a JSON transport. */
export interface JsonTransportOptions {
  url: string;
  token: string;
  sockets: SocketFactory;
  events: TransportEvents;
  /** How long a telemetry ack or shadow answer may take (ms). */
  ackTimeoutMs: number;
  /** How long the WebSocket handshake may take (ms). */
  connectTimeoutMs: number;
}

/**
 * Close codes after which reconnecting cannot help: 4000 taken over by a newer connection, 4401
 * credential revoked or expired, 4403 device disabled, 4404 device deleted, 1008 policy.
 */
const PERMANENT_CLOSE = new Set([4000, 4401, 4403, 4404, 1008]);

/** One device over the JSON protocol. */
export class JsonTransport implements Transport {
  private ws: SocketLike | null = null;
  private seq = 0;
  private closed = false;
  private readonly telemetryCalls = new PendingCalls<void, TelemetryMessage>("telemetry");
  private readonly reportCalls = new PendingCalls<number, ShadowUpdateMessage>("shadow report");
  /** Command results not yet sent (the socket was down): sent on the next connect. */
  private readonly outbox: DeviceMessage[] = [];
  private readonly retryTimers = new Set<ReturnType<typeof setTimeout>>();

  constructor(private readonly o: JsonTransportOptions) {}

  connect(): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("the device was closed"));
    const ws = this.o.sockets.open(socketUrl(this.o.url, "/v1/connect"), ["umbra.v1", `token.${this.o.token}`]);
    ws.binaryType = "arraybuffer";
    return new Promise<void>((resolve, reject) => {
      let opened = false;
      let failure: ConnectError | null = null;
      const timer = setTimeout(() => {
        failure = new ConnectError(`no WebSocket handshake in ${this.o.connectTimeoutMs} ms`, false);
        ws.close();
        reject(failure);
      }, this.o.connectTimeoutMs);
      ws.onopen = () => {
        clearTimeout(timer);
        if (failure !== null) return;
        opened = true;
        this.ws = ws;
        resolve();
        this.flush();
      };
      ws.onerror = (ev) => {
        const status = upgradeStatus(ev);
        if (!opened && status !== undefined) failure = new ConnectError(`the hub refused the connection: HTTP ${status}`, status === 401 || status === 403, status);
      };
      ws.onclose = (ev) => {
        clearTimeout(timer);
        if (!opened) {
          reject(failure ?? new ConnectError(`connection closed before it opened (${ev.code})`, PERMANENT_CLOSE.has(ev.code), ev.code));
          return;
        }
        if (this.ws === ws) this.ws = null;
        if (!this.closed) this.o.events.drop({ permanent: PERMANENT_CLOSE.has(ev.code), message: `closed by the hub: ${ev.code} ${ev.reason}`.trim() });
      };
      ws.onmessage = (ev) => this.receive(frameText(ev.data));
    });
  }

  report(shadow: string, state: JsonObject): Promise<number> {
    const clientToken = `r${++this.seq}`;
    const message: ShadowUpdateMessage = { type: "shadow.update", shadow, state: { reported: state }, clientToken };
    const done = this.reportCalls.add(clientToken, message, this.o.ackTimeoutMs);
    this.send(message);
    return done;
  }

  telemetry(data: JsonObject, ts: number | undefined): Promise<void> {
    const id = `t${++this.seq}`;
    const message: TelemetryMessage = ts === undefined ? { type: "telemetry", data, id } : { type: "telemetry", data, ts, id };
    const done = this.telemetryCalls.add(id, message, this.o.ackTimeoutMs);
    this.send(message);
    return done;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.retryTimers) clearTimeout(t);
    const error = new ClosedError("the device was closed");
    this.telemetryCalls.rejectAll(error);
    this.reportCalls.rejectAll(error);
    this.ws?.close(1000, "bye");
    this.ws = null;
  }

  /** Sends now, or leaves it to the next connect (pending calls are resent from their maps). */
  private send(message: DeviceMessage): boolean {
    if (this.ws === null || this.ws.readyState !== OPEN) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  /** After a connect: what waited, in order — command results, then reports, then telemetry. */
  private flush(): void {
    for (const m of this.outbox.splice(0)) if (!this.send(m)) this.outbox.push(m);
    for (const m of this.reportCalls.messages()) this.send(m);
    for (const m of this.telemetryCalls.messages()) this.send(m);
  }

  private receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      this.o.events.error(new Error("the hub sent a frame that is not JSON"));
      return;
    }
    if (!isObject(parsed) || typeof parsed.type !== "string") return;
    // The hub's messages are typed by the hub's own definitions; fields are read defensively.
    this.handle(parsed as unknown as HubMessage);
  }

  private handle(m: HubMessage): void {
    switch (m.type) {
      case "shadow.delta":
        if (isObject(m.state) && Object.keys(m.state).length > 0) this.o.events.delta(m.shadow, m.state, m.version);
        return;
      case "shadow.accepted":
        if (m.clientToken !== undefined) this.reportCalls.resolve(m.clientToken, m.version);
        return;
      case "shadow.rejected":
        if (m.clientToken !== undefined) this.reportCalls.reject(m.clientToken, new ShadowRejectedError(m.code, m.message));
        return;
      case "ack":
        this.telemetryCalls.resolve(String(m.id), undefined);
        return;
      case "error":
        this.refused(m.code, m.message, m.id === undefined ? undefined : String(m.id), m.retryAfterMs);
        return;
      case "command":
        this.o.events.command({ id: m.id, name: m.name, payload: m.payload ?? null }, (status, result) => this.commandResult(m.id, status, result));
        return;
      case "method":
        this.o.events.method({ id: m.id, name: m.name, payload: m.payload ?? null }, (status, payload) => {
          // An answer after a reconnect is useless: the hub answered the caller when the socket closed.
          this.send({ type: "method.response", id: m.id, status, payload });
        });
        return;
      case "shadow.documents":
      case "pong":
        return;
    }
  }

  private commandResult(id: string, status: CommandStatus, result: JsonValue): void {
    const message: DeviceMessage = { type: "command.result", id, status, result };
    if (!this.send(message)) this.outbox.push(message);
  }

  private refused(code: string, message: string, id: string | undefined, retryAfterMs: number | undefined): void {
    if (id !== undefined && this.telemetryCalls.has(id)) {
      if (code === "busy") {
        // Nothing was stored: send it again when the hub's rate allows.
        const t = setTimeout(() => {
          this.retryTimers.delete(t);
          const again = this.telemetryCalls.message(id);
          if (again !== undefined) this.send(again);
        }, Math.max(retryAfterMs ?? 1000, 10));
        this.retryTimers.add(t);
        return;
      }
      this.telemetryCalls.reject(id, new HubRefusedError(code, message));
      return;
    }
    if (code === "session_taken_over") return; // the close that follows says it
    this.o.events.error(new HubRefusedError(code, message));
  }
}
