/**
 * The server side of one CoAP-over-WebSocket connection (RFC 8323): signaling, requests and
 * Observe notifications, as a pure state machine its host drives.
 */
import { Block1Assembler, Block2Cache } from "./blockwise";
import type { CoapMessage } from "./codec";
import { decode, encode } from "./codec";
import { Code, codeClass, codeKind } from "./codes";
import { CoapError } from "./errors";
import type { CoapClose, CoapHost, CoapOutput, CoapSessionConfig, CoapSessionState } from "./host";
import { deregisterObserver, nextSeq, observersOf } from "./observe";
import { Option, SignalOption, fromHex, getOption, getUriPath } from "./options";
import { decodeBlock } from "./block";
import { CallTransfers } from "./call-transfers";
import type { PipelineContext } from "./pipeline";
import { fitResponse, handleRequest, limitToPeer, representationKey } from "./pipeline";
import { deltaKey, deltaNotification } from "./resources";
import { errorReply } from "./responses";
import {
  DEFAULT_CSM,
  abortMessage,
  applyCsm,
  csmMessage,
  pingMessage,
  pongMessage,
  releaseMessage,
  unknownCriticalSignalOption,
} from "./signaling";
import { cloneState, initialState, parseSessionState } from "./state";

/** Default largest request payload: 64 KiB. */
export const DEFAULT_MAX_PAYLOAD = 64 * 1024;
/** Default number of observations per connection. */
export const DEFAULT_MAX_OBSERVERS = 8;
/** Default largest block sent unasked, and largest 2.04 body echoed: 1 KiB. */
export const DEFAULT_BLOCK_SIZE = 1024;

/** WebSocket close codes used after Release/Abort (RFC 6455 §7.4.1). */
export const CloseCode = { NORMAL: 1000, PROTOCOL_ERROR: 1002, UNSUPPORTED_DATA: 1003, POLICY_VIOLATION: 1008 } as const;

const NOTHING: CoapOutput = { frames: [], close: null, stateChanged: false };

/**
 * The server side of one CoAP-over-WebSocket connection (RFC 8323), driven by its host:
 * `open()` when the socket is accepted, `receive()` per WebSocket message, `notifyDelta()`
 * when a shadow's delta changes, `close()` when the socket closes. Each returns the frames
 * to send and whether to close; `state` is small JSON for `serializeAttachment`.
 *
 * @example
 * const s = new CoapSession(host, { deviceId });
 * send(s.open());                        // our CSM
 * send(await s.receive(event.data));     // per message, in arrival order
 * ws.serializeAttachment(s.state);       // when output.stateChanged
 * // after hibernation: CoapSession.restore(host, { deviceId }, ws.deserializeAttachment())
 */
export class CoapSession {
  private st: CoapSessionState;
  private readonly maxPayload: number;
  private readonly maxMessageSize: number;
  private readonly ctx: PipelineContext;
  private queue: Promise<unknown> = Promise.resolve();
  private dirty = false;
  /** Commands and method calls waiting for an earlier one's blocks to be fetched. */
  private readonly calls = new CallTransfers();

  /** Starts a session, or resumes one from a saved `state`. */
  constructor(
    private readonly host: CoapHost,
    config: CoapSessionConfig,
    state?: CoapSessionState,
  ) {
    this.st = state ?? initialState(config.deviceId);
    this.maxPayload = config.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.maxMessageSize = config.maxMessageSize ?? this.maxPayload + 1024;
    const blockSize = config.blockSize ?? DEFAULT_BLOCK_SIZE;
    if (!Number.isInteger(Math.log2(blockSize)) || blockSize < 16 || blockSize > 1024) throw new RangeError("blockSize must be a power of two from 16 to 1024");
    this.ctx = {
      host,
      state: this.st,
      maxPayload: this.maxPayload,
      maxObservers: config.maxObservers ?? DEFAULT_MAX_OBSERVERS,
      blockSize,
      block1: new Block1Assembler(),
      block2: new Block2Cache(),
      markDirty: () => {
        this.dirty = true;
      },
    };
  }

  /** Resumes from `deserializeAttachment()` output; an unreadable value starts a fresh session. */
  static restore(host: CoapHost, config: CoapSessionConfig, saved: unknown): CoapSession {
    return new CoapSession(host, config, parseSessionState(saved) ?? undefined);
  }

  /** A copy of the serializable state. */
  get state(): CoapSessionState {
    return cloneState(this.st);
  }

  /** Release or Abort happened; further input is ignored. */
  get closed(): boolean {
    return this.st.closed;
  }

  /** The peer's CSM arrived and a request carried a valid `auth=` (the connection is bound). */
  get authenticated(): boolean {
    return this.st.peerCsm !== null && this.st.authenticated;
  }

  /** Our CSM, to send as soon as the socket is accepted (RFC 8323 §5.3). */
  open(): CoapOutput {
    const csm = csmMessage({ maxMessageSize: this.maxMessageSize, blockWise: true });
    return { frames: [encode(csm)], close: null, stateChanged: false };
  }

  /**
   * Handles one WebSocket message. Calls run one at a time in arrival order, so the
   * host may await them concurrently. Never rejects.
   */
  receive(data: ArrayBuffer | Uint8Array | string): Promise<CoapOutput> {
    // a bug must not leave the socket half-alive: anything unexpected aborts the connection
    const run = this.queue.then(() => this.process(data)).catch(() => this.abortWith("internal error"));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Notifications for every observer of the shadow's delta resource (RFC 7641 §4.2): same
   * token, increasing Observe numbers, an ETag from the bytes. Big ones go out as Block2
   * block 0 in the block size of the registration; one the peer cannot receive at all is a
   * 5.00, which ends that observation (RFC 7641 §3.2).
   */
  notifyDelta(name: string | null, delta: unknown): CoapOutput {
    const { frames, stateChanged } = this.notifyResource(deltaKey(name), delta);
    return { frames, close: null, stateChanged };
  }

  /**
   * A notification of `value` to every observer of `/commands` or `/methods`: each command or
   * method call is one notification (the device answers with POST /commands/<id> or /methods/<id>).
   */
  notify(resource: "commands" | "methods", value: unknown): CoapOutput {
    const now = Date.now();
    if (this.st.closed || this.calls.hold(resource, value, now)) return NOTHING;
    return this.sendCalls(resource, [...this.calls.release(resource), value], now);
  }

  /** Sends calls in order until one goes out in blocks: the rest wait for its last block (call-transfers.ts). */
  private sendCalls(resource: "commands" | "methods", values: unknown[], now: number): CoapOutput {
    const frames: Uint8Array[] = [];
    const undeliverable: NonNullable<CoapOutput["undeliverable"]> = [];
    let stateChanged = false;
    for (const [i, value] of values.entries()) {
      const out = this.notifyResource(resource, value, true);
      frames.push(...out.frames);
      stateChanged ||= out.stateChanged;
      if (out.refused !== undefined) undeliverable.push({ resource, id: (value as { id?: unknown } | null)?.id, reason: out.refused });
      if (out.cut) {
        this.calls.started(resource, now, values.slice(i + 1));
        break;
      }
    }
    return { frames, close: null, stateChanged, ...(undeliverable.length > 0 ? { undeliverable } : {}) };
  }

  /**
   * `oneShot`: each value is its own event (a command), not the resource's state. One the peer
   * cannot receive is then not sent, and does not end the observation as a 5.00 would (every
   * later command would be lost with it): `refused` says why instead. `cut`: it went out in blocks.
   */
  private notifyResource(key: string, value: unknown, oneShot = false): { frames: Uint8Array[]; stateChanged: boolean; refused?: string; cut?: true } {
    if (this.st.closed) return { frames: [], stateChanged: false };
    const delta = value;
    const frames: Uint8Array[] = [];
    let undeliverable: string | undefined;
    let cut = false;
    const observers = observersOf(this.st, key);
    for (const entry of observers) {
      const token = fromHex(entry.token);
      entry.seq = nextSeq(entry.seq);
      let note: CoapMessage;
      try {
        const full = deltaNotification(this.host, token, entry.seq, delta, entry.accept);
        note = fitResponse(this.ctx, full, undefined, representationKey(key, entry.accept), entry.szx);
      } catch {
        note = limitToPeer(errorReply(token, Code.INTERNAL_SERVER_ERROR, "cannot encode notification"), this.peerMax);
      }
      if (oneShot && codeClass(note.code) !== 2) {
        undeliverable = diagnosticOf(note) ?? "too large for this connection";
        continue;
      }
      // RFC 7641 §3.2: a non-2.xx notification ends the observation
      if (codeClass(note.code) !== 2) deregisterObserver(this.st, entry.token);
      cut ||= moreBlocks(note);
      frames.push(encode(note));
    }
    return { frames, stateChanged: observers.length > 0, ...(undeliverable === undefined ? {} : { refused: undeliverable }), ...(cut ? { cut: true as const } : {}) };
  }

  /** A Ping to keep the connection alive; the client answers Pong (RFC 8323 §5.4). */
  ping(custody = false): CoapOutput {
    return this.st.closed ? NOTHING : { frames: [encode(pingMessage(undefined, custody))], close: null, stateChanged: false };
  }

  /** Server-initiated graceful shutdown: Release, then close (RFC 8323 §5.5). */
  release(): CoapOutput {
    if (this.st.closed) return NOTHING;
    return { ...this.finish({ code: CloseCode.NORMAL, reason: "release" }), frames: [encode(releaseMessage())] };
  }

  /**
   * Server-initiated Abort (RFC 8323 §5.6): a 7.05 whose diagnostic says why, then close with
   * `code` — e.g. 1008 when the device was disabled or never authenticated.
   */
  abort(diagnostic: string, code: number = CloseCode.POLICY_VIOLATION): CoapOutput {
    if (this.st.closed) return NOTHING;
    return this.abortWith(diagnostic, undefined, code);
  }

  /** The socket closed: forget observations. */
  close(): void {
    this.finish({ code: CloseCode.NORMAL, reason: "closed" });
  }

  private async process(data: ArrayBuffer | Uint8Array | string): Promise<CoapOutput> {
    if (this.st.closed) return NOTHING;
    this.dirty = false;
    // RFC 8323 §4.2: CoAP uses binary frames only
    if (typeof data === "string") return this.abortWith("text frames are not CoAP", undefined, CloseCode.UNSUPPORTED_DATA);
    let msg: CoapMessage;
    try {
      msg = decode(data instanceof Uint8Array ? data : new Uint8Array(data));
    } catch (e) {
      if (e instanceof CoapError) return this.abortWith(`malformed message: ${e.message}`);
      throw e;
    }
    const kind = codeKind(msg.code);
    // RFC 8323 §5.3: the CSM must be the first message on the connection
    if (this.st.peerCsm === null && kind !== "csm") return this.abortWith("CSM must be first");
    if (kind !== "request" && kind !== "response" && kind !== "empty" && kind !== "reserved") {
      const bad = unknownCriticalSignalOption(msg);
      if (bad !== undefined) return this.abortWith(`unknown critical option ${bad}`, kind === "csm" ? bad : undefined);
    }
    switch (kind) {
      case "csm":
        return this.onCsm(msg);
      case "ping":
        // RFC 8323 §5.4: Pong echoes the token. Requests are handled in order, so Custody always
        // holds (§5.4.1 lets a Pong carry it unasked) — and it keeps the Pong to libcoap's empty
        // token above 2 bytes: libcoap 4.3.5 drops 2-byte messages and declares its keepalive failed.
        return this.output([encode(pongMessage(msg.token, true))]);
      case "release": // RFC 8323 §5.5
        return this.finish({ code: CloseCode.NORMAL, reason: "release" });
      case "abort": // RFC 8323 §5.6
        return this.finish({ code: CloseCode.NORMAL, reason: "abort received" });
      case "request":
        return this.onRequest(msg);
      case "pong":
      case "empty": // RFC 8323 §3.4: empty messages are ignored
      case "response": // we send no requests
      case "reserved":
        return NOTHING;
    }
  }

  private onCsm(msg: CoapMessage): CoapOutput {
    try {
      this.st.peerCsm = applyCsm(this.st.peerCsm ?? DEFAULT_CSM, msg);
    } catch (e) {
      if (e instanceof CoapError) return this.abortWith(e.message, SignalOption.MAX_MESSAGE_SIZE);
      throw e;
    }
    this.dirty = true;
    return this.output([]);
  }

  private async onRequest(msg: CoapMessage): Promise<CoapOutput> {
    let response: CoapMessage;
    try {
      response = await handleRequest(this.ctx, msg);
    } catch {
      // a failing host call or encoder costs this request, never the connection
      response = limitToPeer(errorReply(msg.token, Code.INTERNAL_SERVER_ERROR, "internal error"), this.peerMax);
    }
    const out = this.output([encode(response)]);
    // The last block of a command or method call fetched: the calls that waited for it go now.
    const resource = lastOfBlocks(response) ? callResource(msg) : null;
    if (resource !== null && this.calls.fetching(resource)) {
      const next = this.sendCalls(resource, this.calls.release(resource), Date.now());
      return { ...out, frames: [...out.frames, ...next.frames], stateChanged: out.stateChanged || next.stateChanged, ...(next.undeliverable ? { undeliverable: next.undeliverable } : {}) };
    }
    return out;
  }

  /** The peer's Max-Message-Size (RFC 8323 §5.3.1: 1152 until its CSM says otherwise). */
  private get peerMax(): number {
    return (this.st.peerCsm ?? DEFAULT_CSM).maxMessageSize;
  }

  private output(frames: Uint8Array[]): CoapOutput {
    return { frames, close: null, stateChanged: this.dirty };
  }

  /** RFC 8323 §5.6: Abort with a diagnostic (UTF-8 text, as §5.6 defines it), then close. */
  private abortWith(diagnostic: string, badCsmOption?: number, code: number = CloseCode.PROTOCOL_ERROR): CoapOutput {
    // even an Abort keeps to the peer's Max-Message-Size (header, Bad-CSM-Option: < 12 bytes)
    const frame = encode(abortMessage(truncateUtf8(diagnostic, this.peerMax - 12), badCsmOption));
    return { ...this.finish({ code, reason: diagnostic.slice(0, 120) }), frames: [frame] };
  }

  private finish(close: CoapClose): CoapOutput {
    this.st.closed = true;
    this.st.observers = [];
    return { frames: [], close, stateChanged: true };
  }
}

/** At most `max` UTF-8 bytes of `s`, cut at a character boundary. */
function truncateUtf8(s: string, max: number): string {
  const bytes = new TextEncoder().encode(s);
  if (bytes.length <= max) return s;
  return new TextDecoder().decode(bytes.slice(0, Math.max(0, max))).replace(/\uFFFD$/, "");
}

/** The `message` of an error's JSON diagnostic (responses.ts), if it has one. */
function diagnosticOf(m: CoapMessage): string | undefined {
  try {
    const v = JSON.parse(new TextDecoder().decode(m.payload)) as { message?: unknown };
    return typeof v.message === "string" ? v.message : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a response is a block with more to come (a representation cut in Block2 blocks). */
function moreBlocks(m: CoapMessage): boolean {
  const b = getOption(m, Option.BLOCK2);
  return b !== undefined && decodeBlock(b).more;
}

/** Whether a response is the last block of a representation cut in blocks. */
function lastOfBlocks(m: CoapMessage): boolean {
  const b = getOption(m, Option.BLOCK2);
  return b !== undefined && !decodeBlock(b).more && codeClass(m.code) === 2;
}

/** `commands` or `methods` when the request is for one of them (a bad Uri-Path was answered 4.00 already). */
function callResource(msg: CoapMessage): "commands" | "methods" | null {
  try {
    const path = getUriPath(msg).join("/");
    return path === "commands" || path === "methods" ? path : null;
  } catch {
    return null;
  }
}
