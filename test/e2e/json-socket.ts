/** A device on the JSON WebSocket protocol, with a queue of received messages to wait on. */
import WebSocket from "ws";
import { hubUrl } from "./client";

export type Message = Record<string, unknown> & { type: string };

/**
 * The code of the close frame a `ws` socket received, once it is closing (undefined before):
 * workerd may hold the TCP connection after a close from an object, and `ws` emits "close" only
 * when TCP ends, so the frame's code is read as soon as the state turns CLOSING.
 */
export function closeFrameCode(ws: WebSocket): number | undefined {
  return ws.readyState >= WebSocket.CLOSING ? (ws as unknown as { _closeCode?: number })._closeCode : undefined;
}

export class JsonSocket {
  readonly ws: WebSocket;
  readonly received: Message[] = [];
  private waiters: { pred: (m: Message) => boolean; resolve: (m: Message) => void }[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as Message;
      this.received.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.pred(m)) return true;
        w.resolve(m);
        return false;
      });
    });
    ws.on("close", (code, reason) => {
      this.closed = { code, reason: String(reason) };
    });
  }

  /** Connects with the token as Bearer header (or, with `viaProtocol`, as a browser would). */
  static open(token: string, opts: { viaProtocol?: boolean; base?: string } = {}): Promise<JsonSocket> {
    const url = `${(opts.base ?? hubUrl()).replace(/^http/, "ws")}/v1/connect`;
    const ws = opts.viaProtocol
      ? new WebSocket(url, ["umbra.v1", `token.${token}`])
      : new WebSocket(url, { headers: { authorization: `Bearer ${token}` } });
    return new Promise((resolve, reject) => {
      const s = new JsonSocket(ws);
      ws.once("open", () => resolve(s));
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
      ws.once("error", reject);
    });
  }

  send(m: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(m));
  }

  /** The first message (already received or coming) matching `pred`. */
  next(pred: (m: Message) => boolean, ms = 10_000): Promise<Message> {
    const have = this.received.find(pred);
    if (have) {
      this.received.splice(this.received.indexOf(have), 1);
      return Promise.resolve(have);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no matching message in ${ms} ms; got ${JSON.stringify(this.received)}`)), ms);
      this.waiters.push({
        pred,
        resolve: (m) => {
          clearTimeout(timer);
          this.received.splice(this.received.indexOf(m), 1);
          resolve(m);
        },
      });
    });
  }

  /** Resolves once the hub closed the socket (`closed` then holds its code): its close frame counts ({@link closeFrameCode}). */
  async waitClosed(ms = 10_000): Promise<void> {
    const until = Date.now() + ms;
    while (this.closed === null) {
      const code = closeFrameCode(this.ws);
      if (code !== undefined && code !== 1006) this.closed = { code, reason: "" };
      else if (this.ws.readyState === WebSocket.CLOSED) break;
      if (Date.now() > until) throw new Error(`not closed within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      if (this.ws.readyState === WebSocket.CLOSED) return resolve();
      this.ws.once("close", () => resolve());
      this.ws.close(1000);
    });
  }
}
