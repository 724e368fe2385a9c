/**
 * The contract between a CoAP session and whoever hosts it: the I/O it needs (`CoapHost`),
 * its tunables, its serializable state and what each event asks the host to do.
 */
import type { CsmValues } from "./signaling";
import type { ShadowCondition } from "../../shadow/shadow-condition";

/** Content formats accepted on POST /telemetry. */
export type TelemetryFormat = 50 | 60 | 110 | 112;

/** Content formats a shadow resource can answer in (Accept). */
export type ShadowFormat = 50 | 60;

/** A host answer for telemetry: HTTP-style status, the rows stored, or why not. */
export interface TelemetryResult {
  status: number;
  accepted?: number;
  message?: string;
}

/** A host answer for a shadow operation: HTTP-style status and an AWS-style JSON body. */
export interface HostResult {
  status: number;
  body: unknown;
}

/**
 * The I/O a CoAP session needs, injected by whoever hosts it (the DeviceObject), so the
 * session stays pure and testable with fakes. Every call may reject; the session turns a
 * rejection into 5.00 and keeps serving.
 */
export interface CoapHost {
  /**
   * Checks the device credential from Uri-Query `auth=<token>`: the first binds the connection to
   * its device; once bound, true only for a valid token of that same device. `{retryAfterSeconds}`:
   * the address used up its failed authentications (AUTH_FAILURE_RATE), and the token was not tried.
   */
  authenticate(token: string): Promise<boolean | { retryAfterSeconds: number }>;
  /** Shadow document (`name` null = classic shadow). */
  shadowGet(name: string | null): Promise<HostResult>;
  /** AWS-style update (`{ state: { reported|desired }, version?, clientToken? }`); 412 when `condition` fails as it writes. */
  shadowUpdate(name: string | null, body: unknown, condition?: ShadowCondition): Promise<HostResult>;
  /** Deletes the shadow (only at `version`, else 409, when given); 412 when `condition` fails as it deletes. */
  shadowDelete(name: string | null, version?: number, condition?: ShadowCondition): Promise<HostResult>;
  /**
   * Takes the device's rate for a request about to run: 0 to run it, else the milliseconds
   * until it may (it gets 4.29). Absent: no limit.
   */
  admit?(): number;
  /** Current delta state object (may be `{}`). */
  shadowDelta(name: string | null): Promise<unknown>;
  /** Stores telemetry; 2xx → 2.04 Changed, with `{accepted}` (the rows stored) when given. */
  telemetry(format: TelemetryFormat, payload: Uint8Array): Promise<TelemetryResult>;
  /** The client observes `/commands` or `/methods`: the device's object starts sending them. */
  observe(resource: "commands" | "methods"): Promise<void>;
  /** The device's outcome of a command (POST /commands/<id>); false when unknown or finished. */
  commandResult(id: string, status: "completed" | "rejected" | "failed", result: unknown): Promise<boolean>;
  /** The device's answer to a direct method (POST /methods/<id>); false when nobody waits for it. */
  methodResponse(id: string, status: number, payload: unknown): Promise<boolean>;
  /** Deepest nesting of a JSON or CBOR body (`JSON_MAX_DEPTH`): deeper is 4.00 before it is built. */
  readonly maxDepth: number;
  /** CBOR decoder (RFC 8949) within {@link maxDepth}; throws on malformed or deeper input. */
  decodeCbor(bytes: Uint8Array): unknown;
  /** CBOR encoder. */
  encodeCbor(value: unknown): Uint8Array;
}

/** Tunables of a session; only `deviceId` is required. */
export interface CoapSessionConfig {
  /** The device this connection belongs to (kept in the state). */
  deviceId: string;
  /** Largest request payload, single or reassembled from Block1 (default 64 KiB). */
  maxPayload?: number;
  /** Max-Message-Size announced in our CSM (default `maxPayload` + 1024). */
  maxMessageSize?: number;
  /** Observations kept per connection (default 8; the state must fit a 2 KiB attachment). */
  maxObservers?: number;
  /**
   * Largest block sent unasked (default 1024): a response with a bigger payload goes in Block2
   * blocks of at most this size to a peer that can take blocks. A power of two, 16 … 1024.
   */
  blockSize?: number;
}

/** One observation (RFC 7641 §4.1), identified by its token on a reliable transport. */
export interface ObserverEntry {
  /** Request token, lowercase hex ("" for libcoap's empty tokens). */
  token: string;
  /** Canonical resource path, e.g. "shadow/delta" or "shadow/lamp/delta". */
  resource: string;
  /** Last Observe sequence number sent (24-bit, RFC 7641 §4.4). */
  seq: number;
  /** Content format of the notifications (the registration's Accept). */
  accept: ShadowFormat;
  /** Block size the registration asked for with Block2 (RFC 7959 §2.4); notifications keep to it. */
  szx?: number;
}

/**
 * Serializable session state: small JSON meant for `ws.serializeAttachment` so it
 * survives hibernation. Block-wise assembly buffers are kept in memory only.
 */
export interface CoapSessionState {
  v: 1;
  deviceId: string;
  /** A request carried a valid `auth=` and the connection is bound to `deviceId`. */
  authenticated: boolean;
  /** The peer's CSM values, null until its CSM arrives (RFC 8323 §5.3). */
  peerCsm: CsmValues | null;
  observers: ObserverEntry[];
  /** Release/Abort seen or sent: nothing more is processed. */
  closed: boolean;
}

/** A WebSocket close the host should perform after sending `frames`. */
export interface CoapClose {
  code: number;
  reason: string;
}

/** What the host must do after an event: send `frames` in order, then maybe close. */
export interface CoapOutput {
  /** Binary WebSocket messages, one CoAP message each (RFC 8323 §4.4). */
  frames: Uint8Array[];
  /** Close the socket with this code/reason after sending, or null. */
  close: CoapClose | null;
  /** The serializable state changed: re-run `serializeAttachment(session.state)`. */
  stateChanged: boolean;
  /**
   * Commands or method calls (`notify`) the client cannot receive (too large for its
   * Max-Message-Size, no block-wise): nothing was sent and the observations go on; the host
   * answers each for the device, with its reason.
   */
  undeliverable?: { resource: "commands" | "methods"; id: unknown; reason: string }[];
}
