/**
 * A device on Umbra's JSON WebSocket protocol (`/v1/connect`) for load: requests that get a
 * reply are matched by `clientToken` (shadow) or `id` (telemetry, ping), pushes go to listeners.
 */
import WebSocket from "ws";

/** A hub → device message. */
export type HubMessage = Record<string, unknown> & { type: string };

/** Which request a hub message answers: pong and ack/error by `id`, shadow replies by `clientToken`. */
function replyKey(m: HubMessage): string | undefined {
  if (m.type === "pong") return `p:${String(m.id)}`;
  if ((m.type === "ack" || m.type === "error") && m.id !== undefined) return `t:${String(m.id)}`;
  if ((m.type === "shadow.accepted" || m.type === "shadow.rejected") && typeof m.clientToken === "string") return `c:${m.clientToken}`;
  return undefined;
}

/** One JSON-protocol connection. */
export class JsonDevice {
  private readonly pending = new Map<string, { resolve: (m: HubMessage) => void; reject: (e: Error) => void }>();
  private readonly listeners = new Set<(m: HubMessage) => void>();
  private nextId = 1;
  /** Close code and reason once closed. */
  closed: { code: number; reason: string } | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on("message", (data) => {
      let m: HubMessage;
      try {
        m = JSON.parse(String(data)) as HubMessage;
      } catch {
        return;
      }
      const key = replyKey(m);
      const waiter = key === undefined ? undefined : this.pending.get(key);
      if (waiter && key) {
        this.pending.delete(key);
        waiter.resolve(m);
      }
      for (const l of this.listeners) l(m);
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
      for (const w of this.pending.values()) w.reject(new Error(`socket closed (${code})`));
      this.pending.clear();
    });
    ws.on("error", () => {}); // surfaces as close
  }

  /** Connects with the token as Bearer header. */
  static open(wsBase: string, token: string, timeoutMs = 30_000): Promise<JsonDevice> {
    const ws = new WebSocket(`${wsBase}/v1/connect`, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: timeoutMs });
    return new Promise((resolve, reject) => {
      ws.once("open", () => resolve(new JsonDevice(ws)));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  /** Calls `f` for every message from the hub; returns the unsubscribe function. */
  onMessage(f: (m: HubMessage) => void): () => void {
    this.listeners.add(f);
    return () => this.listeners.delete(f);
  }

  /** Sends a frame as is. */
  send(m: Record<string, unknown> | string | Uint8Array): void {
    this.ws.send(typeof m === "string" || m instanceof Uint8Array ? m : JSON.stringify(m));
  }

  private expect(key: string, timeoutMs: number): Promise<HubMessage> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(key);
        reject(new Error(`no reply to ${key} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(key, {
        resolve: (m) => (clearTimeout(timer), resolve(m)),
        reject: (e) => (clearTimeout(timer), reject(e)),
      });
    });
  }

  /**
   * Telemetry with an `id`: resolves when the hub answers `ack` (stored durably), rejects when it
   * answers `error` for that id (e.g. `busy`: over the device's rate, nothing stored).
   */
  async telemetry(data: Record<string, unknown>, timeoutMs = 30_000): Promise<void> {
    const id = this.nextId++;
    const reply = this.expect(`t:${id}`, timeoutMs);
    this.send({ type: "telemetry", data, id });
    const m = await reply;
    if (m.type !== "ack") throw new Error(`telemetry refused: ${String(m.code)} ${String(m.message)}`);
  }

  /** Ping → pong (the connection is served; says nothing about earlier writes). */
  ping(timeoutMs = 30_000): Promise<HubMessage> {
    const id = this.nextId++;
    const reply = this.expect(`p:${id}`, timeoutMs);
    this.send({ type: "ping", id });
    return reply;
  }

  /** `shadow.update` with a fresh clientToken; resolves with `shadow.accepted`, rejects on `shadow.rejected`. */
  async updateShadow(state: Record<string, unknown>, timeoutMs = 30_000): Promise<HubMessage> {
    const clientToken = `u${this.nextId++}`;
    const reply = this.expect(`c:${clientToken}`, timeoutMs);
    this.send({ type: "shadow.update", state, clientToken });
    const m = await reply;
    if (m.type !== "shadow.accepted") throw new Error(`shadow.update rejected: ${JSON.stringify(m).slice(0, 200)}`);
    return m;
  }

  /** Closes normally and waits for the close. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close(1000);
    });
  }
}
