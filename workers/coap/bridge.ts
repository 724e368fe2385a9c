/**
 * A CoAP-over-WebSocket connection (RFC 8323) held by the edge Worker. The device id is only
 * known once a request carries `auth=<token>`, so the Worker terminates the socket and runs
 * the pure CoAP session from `protocols/coap`; shadow and telemetry requests go to the
 * device's object by RPC (answered after the object's write is durable), and a "link" socket
 * to the object — the JSON device protocol, accepted there with the hibernation API — brings
 * presence, takeover and every delta change back for Observe notifications.
 *
 * The object ends the link to end the session: 4000 is a takeover (the client gets Release,
 * RFC 8323 §5.5: it may reconnect), 4401/4403/4404 mean the device may no longer connect
 * (credential revoked or expired, device disabled, device deleted; the client gets Abort,
 * RFC 8323 §5.6, naming the reason). A socket that has not sent its CSM and a request with
 * a valid `auth=` within `COAP_PREAUTH_SECONDS` is aborted too.
 */
import { CoapSession, DEFAULT_MAX_PAYLOAD, blockSize, szxForSize, type CoapHost, type CoapOutput } from "../../protocols/coap";
import type { Env } from "../../durable-objects/env";
import { resolveDeviceToken } from "../auth/resolve";
import { constantTimeEqual } from "../auth/crypto";
import { attemptUnderLimit } from "../limits/auth-failures";
import { deviceStub, type DeviceApi } from "../objects";
import { decode as decodeCbor, encode as encodeCbor } from "../../wasm/src/worker";
import { TELEMETRY_COAP, decodeTelemetry, telemetryLimits } from "../telemetry-body";
import { ApiError } from "../errors";
import { isJsonObject, isJsonValue } from "../../protocols/json-value";
import { logError, logText } from "../../protocols/log-text";
import { PollWindow } from "../../durable-objects/shared/poll-window";
import { deviceConfig, socketFloodMs } from "../../durable-objects/device/config";
import { TokenBucket } from "../../durable-objects/shared/token-bucket";
import { numberVar } from "../../durable-objects/vars";

/** Why the object closed the link, by close code: these end the session with an Abort. */
const LINK_ENDINGS: Record<number, string> = {
  4401: "device credential revoked or expired",
  4403: "device disabled",
  4404: "device deleted",
};

/** The diagnostic of the Abort for a link closed with `code`, or null to Release instead. */
export function linkEnding(code: number, reason: string): string | null {
  const label = LINK_ENDINGS[code];
  if (label === undefined) return null;
  return reason === "" || reason === label ? label : `${label}: ${reason}`;
}

/** Bridges one device's CoAP socket to its DeviceObject. */
export class CoapBridge {
  private readonly session: CoapSession;
  private readonly preauthSeconds: number;
  /** The bound device, and the token it was bound with (in memory only). */
  private device: { id: string; stub: DeviceApi; token: string } | null = null;
  private link: WebSocket | null = null;
  private preauth: ReturnType<typeof setTimeout> | null = null;
  private ended = false;
  /** The client's messages back to back: past the limit it is flooding (poll-window.ts). */
  private readonly window: PollWindow;
  /** What the device's object was told this connection observes (syncObserves). */
  private readonly linkObserves = new Set<"commands" | "methods">();
  /** The device's message rate (DEVICE_RATE_PER_SECOND / _BURST), per connection: one per device. */
  private readonly rate: TokenBucket;

  constructor(
    private readonly env: Env,
    private readonly ws: WebSocket,
    private readonly remote: string,
  ) {
    this.preauthSeconds = numberVar(env, "COAP_PREAUTH_SECONDS");
    this.window = new PollWindow(socketFloodMs(env));
    // a block size is a power of two from 16 to 1024: round a configured value down to one
    const size = blockSize(szxForSize(numberVar(env, "COAP_BLOCK_SIZE")));
    const rate = deviceConfig(env).rate;
    this.rate = new TokenBucket(rate.perSecond, rate.burst, Date.now());
    // Bodies as large as REST takes (MAX_BODY_BYTES), in Block1 blocks past one message: the
    // shadow and telemetry then apply their own limits, as they do on every other protocol.
    this.session = new CoapSession(this.host(), { deviceId: "", blockSize: size, maxPayload: numberVar(env, "MAX_BODY_BYTES"), maxMessageSize: DEFAULT_MAX_PAYLOAD + 1024 });
  }

  /** Sends our CSM and starts serving the socket. */
  start(): void {
    this.ws.accept();
    // The standard default is "blob" (workerd follows it at newer compatibility dates).
    this.ws.binaryType = "arraybuffer";
    this.apply(this.session.open());
    this.ws.addEventListener("message", (e) => {
      if (this.ended) return;
      // Faster than the hub reads, back to back (poll-window.ts): Abort, and the socket closes.
      if (this.window.flooding(Date.now())) return this.apply(this.session.abort("more messages back to back than the hub reads: the connection ends"));
      const data = e.data instanceof ArrayBuffer || typeof e.data === "string" ? e.data : new Uint8Array(e.data as ArrayBufferLike);
      void this.session.receive(data).then((out) => this.apply(out));
    });
    this.ws.addEventListener("close", () => this.end());
    this.ws.addEventListener("error", () => this.end());
    // Issue 8 item D: an idle unauthenticated socket costs file descriptors, so it gets seconds, not forever.
    this.preauth = setTimeout(() => this.preauthExpired(), this.preauthSeconds * 1000);
  }

  private preauthExpired(): void {
    this.preauth = null;
    if (this.ended || this.session.authenticated) return;
    const s = this.preauthSeconds;
    const why = this.session.state.peerCsm === null ? `no CSM within ${s} s` : `not authenticated within ${s} s: send auth=<device token> in the Uri-Query of the first request`;
    this.apply(this.session.abort(why));
  }

  private apply(out: CoapOutput): void {
    this.syncObserves();
    // Too large for this client: answered for it, as MQTT leaves such a command out, rather than
    // ending its observation (which lost every later command too, re-sent first each time).
    for (const u of out.undeliverable ?? []) if (typeof u.id === "string") void this.undeliverable(u.resource === "commands" ? "command" : "method", u.id, u.reason);
    for (const frame of out.frames) {
      try {
        this.ws.send(frame);
      } catch {
        return this.end();
      }
    }
    if (out.close) {
      try {
        this.ws.close(out.close.code, out.close.reason);
      } catch {
        // already closed
      }
      this.end();
    }
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.preauth !== null) clearTimeout(this.preauth);
    this.session.close();
    try {
      this.link?.close(1000, "coap connection closed");
    } catch {
      // already closed
    }
  }

  private stub(): DeviceApi {
    if (!this.device) throw new Error("not authenticated");
    return this.device.stub;
  }

  /**
   * Binds the connection to the token's device and opens the link to its object. Once bound: true
   * for the token it was bound with (a UDP client sends it every time) or another valid token of
   * the same device, false for anything else (pipeline.ts answers 4.01).
   */
  private async bind(token: string): Promise<boolean | { retryAfterSeconds: number }> {
    if (this.device && (await constantTimeEqual(token, this.device.token))) return true;
    const p = await this.deviceOf(token);
    if (p === null || "retryAfterSeconds" in p) return p ?? false;
    if (this.device) return p.deviceId === this.device.id;
    const stub = deviceStub(this.env, p.deviceId);
    const res = await stub.fetch(
      new Request("https://device/connect/json", {
        headers: { upgrade: "websocket", "x-umbra-device": p.deviceId, "x-umbra-credential": p.credentialId, "x-umbra-protocol": "coap", "x-umbra-remote": this.remote },
      }),
    );
    const link = res.webSocket;
    if (!link) return false;
    link.accept();
    link.addEventListener("message", (e) => this.onLink(typeof e.data === "string" ? e.data : ""));
    link.addEventListener("close", (e) => this.onLinkClosed(e.code, e.reason));
    this.device = { id: p.deviceId, stub, token };
    this.link = link;
    return true;
  }

  /** The device principal of a token; failed tokens count against the address (AUTH_FAILURE_RATE/BURST), as on every other protocol. */
  private async deviceOf(token: string) {
    const attempt = await attemptUnderLimit(this.env, this.remote, async () => {
      const principal = await resolveDeviceToken(this.env, token);
      return principal?.kind === "device" ? principal : null;
    });
    if (attempt.ok) return attempt.value;
    return attempt.limited ? { retryAfterSeconds: attempt.limited.retryAfterSeconds } : null;
  }

  /** The object ended the link: Abort when the device may no longer connect, else Release. */
  private onLinkClosed(code: number, reason: string): void {
    const ending = linkEnding(code, reason);
    this.apply(ending === null ? this.session.release() : this.session.abort(ending));
  }

  /** Messages the object pushes on the link: deltas, commands and method calls become Observe notifications. */
  private onLink(text: string): void {
    let m: { type?: unknown; shadow?: unknown; state?: unknown; code?: unknown; id?: unknown; name?: unknown; payload?: unknown };
    try {
      m = JSON.parse(text) as typeof m;
    } catch {
      return;
    }
    if (m.type === "shadow.delta" && typeof m.shadow === "string") this.apply(this.session.notifyDelta(m.shadow === "" ? null : m.shadow, m.state ?? {}));
    if (m.type === "error" && m.code === "session_taken_over") this.apply(this.session.release());
    if (m.type === "command" || m.type === "method") this.apply(this.session.notify(m.type === "command" ? "commands" : "methods", { id: m.id, name: m.name, payload: m.payload ?? null }));
  }

  /** Finishes a command (rejected) or method call (413) that this client cannot receive, saying why. */
  private async undeliverable(kind: "command" | "method", id: string, reason: string): Promise<void> {
    const error = `not sent: ${reason}`;
    try {
      if (kind === "command") await this.stub().reportCommandResult(id, "rejected", { error });
      else await this.stub().answerMethod(id, 413, { error });
    } catch (err) {
      console.error(`coap: could not answer undeliverable ${kind} ${logText(id)}: ${logError(err)}`);
    }
  }

  /** Sends a JSON device-protocol message up the link (what this connection's client observes). */
  /**
   * Tells the device's object when the connection's last observer of `/commands` or `/methods` is
   * gone (cancelled, reset, ended by an error notification): it then sends nothing more of that
   * here (a command would be `delivered` to nobody), and a method call finds the device offline.
   */
  private syncObserves(): void {
    for (const resource of this.linkObserves) {
      if (this.session.state.observers.some((o) => o.resource === resource)) continue;
      this.linkObserves.delete(resource);
      this.toLink({ type: "unobserve", resource });
    }
  }

  private toLink(message: Record<string, unknown>): void {
    try {
      this.link?.send(JSON.stringify(message));
    } catch {
      // the link is gone; its close event ends the connection
    }
  }

  private host(): CoapHost {
    const name = (n: string | null) => n ?? "";
    const maxDepth = numberVar(this.env, "JSON_MAX_DEPTH");
    return {
      authenticate: (token) => this.bind(token),
      admit: () => this.rate.take(Date.now()),
      shadowGet: (n) => this.stub().shadow(name(n), { kind: "get" }),
      shadowUpdate: async (n, body, condition) => {
        // Only JSON crosses to the object (CBOR tags or byte strings would not even clone).
        if (!isJsonObject(body) || !isJsonValue(body)) {
          return { status: 400, body: { code: 400, message: "The request must be a JSON object {state, version?, clientToken?}", timestamp: Math.floor(Date.now() / 1000) } };
        }
        return this.stub().shadow(name(n), { ...body, kind: "update" }, 0, condition);
      },
      shadowDelete: (n, version, condition) => this.stub().shadow(name(n), { kind: "delete", ...(version === undefined ? {} : { version }) }, 0, condition),
      shadowDelta: async (n) => {
        const r = await this.stub().shadow(name(n), { kind: "get" });
        const state = r.body.state as { delta?: unknown } | undefined;
        return state?.delta ?? {};
      },
      telemetry: async (format, payload) => {
        const kind = TELEMETRY_COAP[format];
        if (!kind) return { status: 415, message: "unsupported content format" };
        try {
          const rows = decodeTelemetry(kind, payload, Date.now(), telemetryLimits(this.env));
          return { status: 204, accepted: await this.stub().ingestTelemetry(rows) };
        } catch (err) {
          if (err instanceof ApiError) return { status: err.status, message: err.message };
          throw err;
        }
      },
      observe: async (resource) => {
        this.linkObserves.add(resource);
        this.toLink({ type: "observe", resource });
      },
      commandResult: (id, status, result) => this.stub().reportCommandResult(id, status, isJsonValue(result) ? result : null),
      methodResponse: (id, status, payload) => this.stub().answerMethod(id, status, isJsonValue(payload) ? payload : null),
      maxDepth,
      decodeCbor: (bytes) => decodeCbor(bytes, { maxDepth }),
      encodeCbor: (value) => encodeCbor(value),
    };
  }
}
