/**
 * A minimal CoAP-over-WebSocket client written from RFC 8323 (§4, §5) and RFC 7252 §3,
 * sharing no code with `protocols/coap/`: tests that use it show the server speaks the
 * real protocol, not just agrees with its own codec.
 */
import WebSocket from "ws";

/** A CoAP message as framed over WebSockets (RFC 8323 §4.4: no type, no id, Len = 0). */
export interface WireMessage {
  code: number;
  token: Uint8Array;
  options: { number: number; value: Uint8Array }[];
  payload: Uint8Array;
}

/** Codes used by the client (RFC 7252 §12.1.1, RFC 8323 §11.1). */
export const Codes = { GET: 0x01, POST: 0x02, PUT: 0x03, DELETE: 0x04, CONTINUE: 0x5f, CSM: 0xe1, PING: 0xe2, PONG: 0xe3, RELEASE: 0xe4, ABORT: 0xe5 } as const;
/** Option numbers (RFC 7252 §5.10, RFC 7641, RFC 7959). */
export const Opts = { IF_MATCH: 1, ETAG: 4, IF_NONE_MATCH: 5, OBSERVE: 6, URI_PATH: 11, CONTENT_FORMAT: 12, MAX_AGE: 14, URI_QUERY: 15, ACCEPT: 17, BLOCK2: 23, BLOCK1: 27, SIZE2: 28, SIZE1: 60 } as const;

const te = new TextEncoder();

/** Minimal big-endian uint bytes (RFC 7252 §3.2). */
export function uintBytes(n: number): Uint8Array {
  const b: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) b.unshift(v % 256);
  return Uint8Array.from(b);
}

/** The uint value of option bytes. */
export function bytesUint(b: Uint8Array): number {
  return b.reduce((n, x) => n * 256 + x, 0);
}

function nibble(v: number): [number, number[]] {
  if (v < 13) return [v, []];
  if (v < 269) return [13, [v - 13]];
  return [14, [(v - 269) >> 8, (v - 269) & 0xff]];
}

/** Encodes one message (RFC 8323 §4.4 / Figure 10). */
export function encodeMessage(m: WireMessage): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(m.token.length & 0x0f, m.code), m.token];
  let prev = 0;
  for (const o of [...m.options].sort((a, b) => a.number - b.number)) {
    const [dn, dx] = nibble(o.number - prev);
    const [ln, lx] = nibble(o.value.length);
    parts.push(Uint8Array.from([(dn << 4) | ln, ...dx, ...lx]), o.value);
    prev = o.number;
  }
  if (m.payload.length > 0) parts.push(Uint8Array.of(0xff), m.payload);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** Decodes one message; throws Error on anything malformed. */
export function decodeMessage(b: Uint8Array): WireMessage {
  if (b.length < 2 || b[0] >> 4 !== 0 || (b[0] & 0x0f) > 8) throw new Error("bad header");
  let i = 2 + (b[0] & 0x0f);
  if (i > b.length) throw new Error("short token");
  const m: WireMessage = { code: b[1], token: b.slice(2, i), options: [], payload: new Uint8Array() };
  const ext = (n: number): number => {
    if (n < 13) return n;
    if (n === 13 && i + 1 <= b.length) return b[i++] + 13;
    if (n === 14 && i + 2 <= b.length) return ((b[i++] << 8) | b[i++]) + 269;
    throw new Error("bad option header");
  };
  let number = 0;
  while (i < b.length) {
    const h = b[i++];
    if (h === 0xff) {
      if (i === b.length) throw new Error("empty payload after marker");
      m.payload = b.slice(i);
      break;
    }
    number += ext(h >> 4);
    const len = ext(h & 0x0f);
    if (i + len > b.length) throw new Error("short option");
    m.options.push({ number, value: b.slice(i, i + len) });
    i += len;
  }
  return m;
}

/** A request as tests write it. */
export interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "DELETE" | number;
  path: string;
  query?: string[];
  contentFormat?: number;
  accept?: number;
  payload?: Uint8Array | string;
  observe?: 0 | 1;
  options?: { number: number; value: Uint8Array }[];
  token?: Uint8Array;
}

/** First value of an option as a uint, if present. */
export function optionUint(m: WireMessage, n: number): number | undefined {
  const o = m.options.find((x) => x.number === n);
  return o === undefined ? undefined : bytesUint(o.value);
}

/** A Block1/Block2 value (RFC 7959 §2.2): NUM, M, SZX; the block size is 2^(SZX+4), 1024 for BERT. */
export interface Block {
  num: number;
  more: boolean;
  szx: number;
}

/** The Block option `n` (23 or 27) of a message, decoded. */
export function optionBlock(m: WireMessage, n: number): Block | undefined {
  const v = optionUint(m, n);
  return v === undefined ? undefined : { num: Math.floor(v / 16), more: (v & 8) !== 0, szx: v & 7 };
}

/** A Block1/Block2 option with the value encoded. */
export function blockOpt(n: number, b: Block): { number: number; value: Uint8Array } {
  return { number: n, value: uintBytes(b.num * 16 + (b.more ? 8 : 0) + b.szx) };
}

/** First value of an option as raw bytes. */
export function optionBytes(m: WireMessage, n: number): Uint8Array | undefined {
  return m.options.find((x) => x.number === n)?.value;
}

/** "2.05"-style rendering of a code. */
export function codeText(code: number): string {
  return `${code >> 5}.${String(code & 0x1f).padStart(2, "0")}`;
}

const hex = (t: Uint8Array) => Buffer.from(t).toString("hex");

/** One connection: CSM exchange, requests matched by token, Observe, Ping, Release. */
export class CoapWsClient {
  /** What the server announced in its CSM (RFC 8323 §5.3; 1152 is the base value). */
  serverCsm = { maxMessageSize: 1152, blockWise: false };
  /** Signaling messages other than CSM/Pong (Abort, Release, Ping) in arrival order. */
  readonly signals: WireMessage[] = [];
  /** Byte length of every WebSocket message received, in order (RFC 8323 §5.3.1 checks). */
  readonly frameSizes: number[] = [];
  /** Resolves with the close code and reason. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly waiting = new Map<string, (m: WireMessage) => void>();
  private readonly observers = new Map<string, (m: WireMessage) => void>();
  private nextToken = 1;
  private csmSeen: (() => void) | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.binaryType = "nodebuffer";
    this.closed = new Promise((r) => ws.on("close", (code, reason) => r({ code, reason: reason.toString() })));
    ws.on("message", (data: Buffer) => {
      this.frameSizes.push(data.length);
      this.onMessage(decodeMessage(new Uint8Array(data)));
    });
  }

  /** Connects with subprotocol `coap`, sends our CSM first and waits for the server's (RFC 8323 §5.3). */
  static async connect(url: string, csm = { maxMessageSize: 1152, blockWise: true }, timeoutMs = 5000): Promise<CoapWsClient> {
    const ws = new WebSocket(url, ["coap"]);
    const client = new CoapWsClient(ws);
    const serverCsm = new Promise<void>((r) => (client.csmSeen = r));
    await new Promise<void>((resolve, reject) => {
      ws.once("open", resolve);
      ws.once("error", reject);
    });
    if (ws.protocol !== "coap") throw new Error(`server chose subprotocol "${ws.protocol}"`);
    const options = [{ number: 2, value: uintBytes(csm.maxMessageSize) }];
    if (csm.blockWise) options.push({ number: 4, value: new Uint8Array() });
    client.send({ code: Codes.CSM, token: new Uint8Array(), options, payload: new Uint8Array() });
    await withTimeout(serverCsm, timeoutMs, "server CSM");
    return client;
  }

  /** Sends a request and resolves with the response carrying its token. */
  request(spec: RequestSpec, timeoutMs = 5000): Promise<WireMessage> {
    const token = spec.token ?? uintBytes(0x1000000 + this.nextToken++);
    const options = [
      ...spec.path.split("/").filter((s) => s !== "").map((s) => ({ number: Opts.URI_PATH, value: te.encode(s) })),
      ...(spec.query ?? []).map((q) => ({ number: Opts.URI_QUERY, value: te.encode(q) })),
      ...(spec.options ?? []),
    ];
    if (spec.contentFormat !== undefined) options.push({ number: Opts.CONTENT_FORMAT, value: uintBytes(spec.contentFormat) });
    if (spec.accept !== undefined) options.push({ number: Opts.ACCEPT, value: uintBytes(spec.accept) });
    if (spec.observe !== undefined) options.push({ number: Opts.OBSERVE, value: uintBytes(spec.observe) });
    const payload = typeof spec.payload === "string" ? te.encode(spec.payload) : (spec.payload ?? new Uint8Array());
    const code = typeof spec.method === "number" ? spec.method : Codes[spec.method];
    const reply = new Promise<WireMessage>((r) => this.waiting.set(hex(token), r));
    this.send({ code, token, options, payload });
    return withTimeout(reply, timeoutMs, `response to ${spec.method} ${spec.path}`);
  }

  /** Registers an observation (RFC 7641 §3.1); notifications after the first response go to `onNotification`. */
  async observe(path: string, onNotification: (m: WireMessage) => void, spec: Partial<RequestSpec> = {}) {
    const token = spec.token ?? uintBytes(0x2000000 + this.nextToken++);
    this.observers.set(hex(token), onNotification);
    const response = await this.request({ method: "GET", ...spec, path, token, observe: 0 });
    const cancel = async () => {
      this.observers.delete(hex(token));
      return this.request({ method: "GET", ...spec, path, token, observe: 1 });
    };
    return { response, cancel };
  }

  /**
   * A GET (or the follow-ups of any response) fetched to the end with Block2 (RFC 7959 §2.4):
   * later blocks repeat the request with Block2 NUM+1 at the server's block size. Returns every
   * response and the reassembled payload.
   */
  async fetchRest(first: WireMessage, spec: RequestSpec): Promise<{ blocks: WireMessage[]; payload: Uint8Array }> {
    const blocks = [first];
    let b = optionBlock(first, Opts.BLOCK2);
    while (b?.more === true) {
      const options = (spec.options ?? []).filter((o) => o.number !== Opts.BLOCK2 && o.number !== Opts.OBSERVE);
      const next = await this.request({ ...spec, observe: undefined, options: [...options, blockOpt(Opts.BLOCK2, { num: b.num + 1, more: false, szx: b.szx })] });
      blocks.push(next);
      b = optionBlock(next, Opts.BLOCK2);
    }
    return { blocks, payload: Buffer.concat(blocks.map((m) => m.payload)) };
  }

  /** Ping → Pong (RFC 8323 §5.4); `token` defaults to a fresh one (libcoap sends empty ones). */
  ping(custody = false, token = uintBytes(0x3000000 + this.nextToken++)): Promise<WireMessage> {
    const pong = new Promise<WireMessage>((r) => this.waiting.set(hex(token), r));
    this.send({ code: Codes.PING, token, options: custody ? [{ number: 2, value: new Uint8Array() }] : [], payload: new Uint8Array() });
    return withTimeout(pong, 5000, "pong");
  }

  /** Sends a message or raw bytes (for malformed-input tests). */
  send(m: WireMessage | Uint8Array): void {
    this.ws.send(m instanceof Uint8Array ? m : encodeMessage(m));
  }

  /** Release (RFC 8323 §5.5), then a normal close. */
  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.OPEN) {
      this.send({ code: Codes.RELEASE, token: new Uint8Array(), options: [], payload: new Uint8Array() });
      this.ws.close(1000);
    }
    await this.closed;
  }

  private onMessage(m: WireMessage): void {
    if (m.code === Codes.CSM) {
      this.serverCsm = {
        maxMessageSize: optionUint(m, 2) ?? this.serverCsm.maxMessageSize,
        blockWise: this.serverCsm.blockWise || m.options.some((o) => o.number === 4),
      };
      this.csmSeen?.();
      return;
    }
    const key = hex(m.token);
    const waiter = m.code >> 5 === 7 && m.code !== Codes.PONG ? undefined : this.waiting.get(key);
    if (waiter !== undefined) {
      this.waiting.delete(key);
      waiter(m);
    } else if (m.code >> 5 === 7) {
      this.signals.push(m);
    } else {
      this.observers.get(key)?.(m);
    }
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timeout waiting for ${what}`)), ms)));
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}
