import type { CoapMessage, CoapOption } from "../codec";
import { decode, encode } from "../codec";
import { Code } from "../codes";
import type { CoapOutput, CoapSessionConfig } from "../host";
import { Option, contentFormatOption, decodeUint, emptyOption, getOption, getOptions, pathOptions, queryOptions, uintOption } from "../options";
import { CoapSession } from "../server";
import { csmMessage } from "../signaling";
import { FakeHost } from "./fake-host";

/** A request as tests write it. */
export interface TestRequest {
  method?: number;
  path: string;
  /** Extra Uri-Query arguments; `auth=secret` is added unless `auth` is null. */
  query?: string[];
  auth?: string | null;
  token?: number[];
  contentFormat?: number;
  accept?: number;
  observe?: number;
  options?: CoapOption[];
  payload?: Uint8Array | string;
}

/** Drives a `CoapSession` with a `FakeHost`, speaking decoded messages. */
export class Driver {
  readonly host: FakeHost;
  session: CoapSession;
  readonly config: CoapSessionConfig;

  constructor(config: Partial<CoapSessionConfig> = {}, host = new FakeHost()) {
    this.host = host;
    this.config = { deviceId: "dev-1", ...config };
    this.session = new CoapSession(host, this.config);
  }

  /** Opens and sends the client's CSM; returns the server's CSM. */
  async start(csm = { maxMessageSize: 1152, blockWise: true }): Promise<CoapMessage> {
    const opened = this.session.open();
    const out = await this.session.receive(encode(csmMessage(csm)));
    if (out.frames.length !== 0 || out.close !== null) throw new Error("CSM was answered");
    return decode(opened.frames[0]);
  }

  /** Sends one frame, returns the output and its decoded frames. */
  async send(frame: CoapMessage | Uint8Array | string): Promise<{ out: CoapOutput; msgs: CoapMessage[] }> {
    const data = typeof frame === "string" || frame instanceof Uint8Array ? frame : encode(frame);
    const out = await this.session.receive(data);
    return { out, msgs: out.frames.map(decode) };
  }

  /** Builds the CoAP message for a test request. */
  message(r: TestRequest): CoapMessage {
    const options: CoapOption[] = [...pathOptions(r.path), ...queryOptions([...(r.auth === null ? [] : [`auth=${r.auth ?? "secret"}`]), ...(r.query ?? [])])];
    if (r.contentFormat !== undefined) options.push(contentFormatOption(r.contentFormat));
    if (r.accept !== undefined) options.push(uintOption(Option.ACCEPT, r.accept));
    if (r.observe !== undefined) options.push(r.observe === 0 ? emptyOption(Option.OBSERVE) : uintOption(Option.OBSERVE, r.observe));
    options.push(...(r.options ?? []));
    const payload = typeof r.payload === "string" ? new TextEncoder().encode(r.payload) : (r.payload ?? new Uint8Array());
    return { code: r.method ?? Code.GET, token: Uint8Array.from(r.token ?? [0x42]), options, payload };
  }

  /** Sends a request and expects exactly one response frame. */
  async request(r: TestRequest): Promise<CoapMessage> {
    const { out, msgs } = await this.send(this.message(r));
    if (msgs.length !== 1 || out.close !== null) throw new Error(`expected one response, got ${msgs.length}`);
    return msgs[0];
  }
}

/** Payload as text. */
export function text(m: CoapMessage): string {
  return new TextDecoder().decode(m.payload);
}

/** Payload parsed as JSON. */
export function json(m: CoapMessage): unknown {
  return JSON.parse(text(m));
}

/** A uint option of a response. */
export function uint(m: CoapMessage, n: number): number | undefined {
  const v = getOption(m, n);
  return v === undefined ? undefined : decodeUint(v);
}

/** Whether a response carries an option. */
export function has(m: CoapMessage, n: number): boolean {
  return getOptions(m, n).length > 0;
}
