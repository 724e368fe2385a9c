/**
 * A simulated device over CoAP over WebSockets (RFC 8323), built on the hub's own codec
 * (protocols/coap): CSM first, the token on the first request (`auth=`), Observe on
 * /shadow/delta, /commands and /methods, telemetry as POST /telemetry. Reconnects with backoff.
 */
import WebSocket from "ws";
import { Backoff } from "../../sdk/node";
import type { JsonObject, JsonValue } from "../../sdk/node";
import type { CoapMessage, CoapOption } from "../../protocols/coap";
import { Code, ContentFormat, Option, contentFormatOption, decode, encode, encodeUint, formatCode, pathOptions, queryOptions } from "../../protocols/coap";
import { csmMessage, pongMessage, releaseMessage } from "../../protocols/coap/signaling";
import type { SimDevice, SimHooks } from "./sim-device";
import { commandResult, methodAnswer } from "./sim-device";

/** How to connect a CoAP device. */
export interface CoapDeviceOptions {
  url: string;
  deviceId: string;
  token: string;
  hooks: SimHooks;
  /** How long a request may wait for its response (ms, default 30 s). */
  timeoutMs?: number;
}

type Waiter = { resolve: (m: CoapMessage) => void; reject: (e: Error) => void; timer: ReturnType<typeof setTimeout> };

const json = (value: JsonValue) => new TextEncoder().encode(JSON.stringify(value));
const parse = (m: CoapMessage): unknown => (m.payload.length ? JSON.parse(new TextDecoder().decode(m.payload)) : null);
const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** One device on one CoAP-over-WebSocket connection (opened again after a drop). */
export class CoapDevice implements SimDevice {
  private ws: WebSocket | null = null;
  private nextToken = 1;
  private readonly waiting = new Map<number, Waiter>();
  private readonly observers = new Map<number, (m: CoapMessage) => void>();
  private readonly backoff = new Backoff();
  private closed = false;

  private constructor(private readonly o: CoapDeviceOptions) {}

  get id(): string {
    return this.o.deviceId;
  }

  /** Connects, binds the connection to the device and registers its observations. */
  static async connect(o: CoapDeviceOptions): Promise<CoapDevice> {
    const d = new CoapDevice(o);
    await d.open();
    return d;
  }

  async telemetry(data: JsonObject): Promise<void> {
    const r = await this.request(Code.POST, "telemetry", json({ data }));
    if (r.code !== Code.CHANGED) throw new Error(`POST /telemetry answered ${formatCode(r.code)} ${new TextDecoder().decode(r.payload)}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    const ws = this.ws;
    if (ws === null) return;
    if (ws.readyState === WebSocket.OPEN) ws.send(encode(releaseMessage()));
    ws.close(1000);
  }

  private async open(): Promise<void> {
    const url = `${this.o.url.replace(/^http/, "ws").replace(/\/+$/, "")}/.well-known/coap`;
    const ws = new WebSocket(url, ["coap"]);
    ws.binaryType = "arraybuffer";
    const serverCsm = new Promise<void>((resolve, reject) => {
      ws.once("error", reject);
      ws.once("close", (code) => reject(new Error(`CoAP connection closed before the CSM (${code})`)));
      ws.on("message", (data: ArrayBuffer) => {
        const m = decode(new Uint8Array(data));
        if (m.code === Code.CSM) resolve();
        else this.receive(m);
      });
    });
    await new Promise<void>((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    this.ws = ws;
    // RFC 8323 §5.3: both sides send a CSM first; at least Max-Message-Size (DESIGN.md: libcoap).
    ws.send(encode(csmMessage({ maxMessageSize: 65_536, blockWise: false })));
    await serverCsm;
    ws.on("close", () => this.dropped(ws));
    // The first request binds the connection to the device (RFC 8323 has no CONNECT).
    await this.observe("shadow/delta", true, (m) => void this.delta(m));
    await this.observe("commands", false, (m) => void this.call("commands", m));
    await this.observe("methods", false, (m) => void this.call("methods", m));
  }

  private dropped(ws: WebSocket): void {
    if (this.ws !== ws) return;
    this.ws = null;
    for (const [, w] of this.waiting) w.reject(new Error("the CoAP connection closed"));
    this.waiting.clear();
    this.observers.clear();
    if (this.closed) return;
    this.o.hooks.disconnected();
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    while (!this.closed) {
      await new Promise((r) => setTimeout(r, this.backoff.next()));
      try {
        await this.open();
        this.backoff.reset();
        this.o.hooks.reconnected();
        return;
      } catch {
        // try again after the next delay
      }
    }
  }

  private async observe(path: string, auth: boolean, notify: (m: CoapMessage) => void): Promise<void> {
    const token = this.nextToken++;
    this.observers.set(token, notify);
    const r = await this.request(Code.GET, path, null, { observe: true, auth, token });
    if (r.code !== Code.CONTENT) throw new Error(`GET /${path} answered ${formatCode(r.code)} ${new TextDecoder().decode(r.payload)}`);
    notify(r);
  }

  private request(code: number, path: string, payload: Uint8Array | null, o: { observe?: boolean; auth?: boolean; token?: number } = {}): Promise<CoapMessage> {
    const ws = this.ws;
    if (ws === null || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error("the CoAP connection is down"));
    const token = o.token ?? this.nextToken++;
    const options: CoapOption[] = [...pathOptions(path), ...(o.auth ? queryOptions([`auth=${this.o.token}`]) : [])];
    if (o.observe) options.push({ number: Option.OBSERVE, value: encodeUint(0) });
    if (payload !== null) options.push(contentFormatOption(ContentFormat.JSON));
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(token);
        reject(new Error(`no answer to ${path} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(token, { resolve, reject, timer });
      ws.send(encode({ code, token: encodeUint(token), options: options.sort((a, b) => a.number - b.number), payload: payload ?? new Uint8Array() }));
    });
  }

  private receive(m: CoapMessage): void {
    if (m.code === Code.PING) return void this.ws?.send(encode(pongMessage(m.token)));
    const token = m.token.reduce((n, b) => n * 256 + b, 0);
    const w = this.waiting.get(token);
    if (w !== undefined) {
      clearTimeout(w.timer);
      this.waiting.delete(token);
      w.resolve(m);
      return;
    }
    this.observers.get(token)?.(m);
  }

  /** A delta notification (or the first answer): report the desired state back. */
  private async delta(m: CoapMessage): Promise<void> {
    try {
      const delta = parse(m);
      if (!isObject(delta) || Object.keys(delta).length === 0) return;
      this.o.hooks.delta();
      const r = await this.request(Code.POST, "shadow", json({ state: { reported: delta } }));
      if (r.code !== Code.CHANGED) throw new Error(`POST /shadow answered ${formatCode(r.code)}`);
    } catch (e) {
      this.o.hooks.error(e);
    }
  }

  /** A command or method notification `{id, name, payload}` (the registration's answer is `{}`). */
  private async call(resource: "commands" | "methods", m: CoapMessage): Promise<void> {
    try {
      const c = parse(m);
      if (!isObject(c) || typeof c.id !== "string" || typeof c.name !== "string") return;
      const id = this.o.deviceId;
      const payload = c.payload ?? null;
      if (resource === "commands") this.o.hooks.command();
      else this.o.hooks.method();
      const body: JsonObject = resource === "commands" ? { status: "completed", result: commandResult(id, c.name) } : { status: 200, payload: methodAnswer(id, c.name, payload) };
      const r = await this.request(Code.POST, `${resource}/${c.id}`, json(body));
      if (r.code !== Code.CHANGED) throw new Error(`POST /${resource}/${c.id} answered ${formatCode(r.code)}`);
    } catch (e) {
      this.o.hooks.error(e);
    }
  }
}
