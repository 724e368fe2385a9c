/**
 * One UDP peer's CoAP session through the gateway, as a pure state machine: datagrams from the
 * peer (RFC 7252) and frames from the hub's WebSocket (RFC 8323) go in with the time, actions
 * come out. The gateway keeps the UDP message layer (ACKs, duplicates, retransmission) and
 * re-tokens every exchange; codes, options, payloads, Observe numbers and Block-wise options
 * pass through, so resources, errors and Block-wise state are the hub's own.
 */
import type { CoapMessage, CoapOption, CsmValues } from "../../../protocols/coap";
import { Code, Option, abortMessage, bytesEqual, codeClass, csmMessage, encode, getUriPath, pingMessage, releaseMessage, toHex, uintOption } from "../../../protocols/coap";
import type { Datagram } from "./datagram";
import { parseDatagram } from "./datagram";
import type { Observation } from "./observations";
import { Observations, observesEvents } from "./observations";
import type { PeerSide } from "./peer-link";
import { PeerLink } from "./peer-link";
import type { TranslatorConfig } from "./config";
import { readHubFrame } from "./hub-signals";
import { GatewayCode, diagnostic, observeOf, suppressed, toHubRequest, udpKind, withObserve } from "./translate";

/** What the host must do, in order. */
export type Action =
  | { kind: "udp"; bytes: Uint8Array; retransmission?: true }
  /** Open the hub WebSocket; `hub` frames that follow wait until it is open. */
  | { kind: "connect" }
  | { kind: "hub"; frame: Uint8Array }
  | { kind: "disconnect"; code: number; reason: string };

type Tag = { kind: "response" } | { kind: "notification"; hubToken: Uint8Array };

interface Exchange {
  hubToken: Uint8Array;
  clientToken: Uint8Array;
  /** null for the gateway's own request (a deregistration after the peer went away). */
  peer: PeerSide | null;
  request: CoapMessage;
  /** The peer's options, for No-Response. */
  peerOptions: CoapOption[];
  observe: number | undefined;
  ackAt: number;
  expiresAt: number;
}

const udp = (bytes: Uint8Array): Action => ({ kind: "udp", bytes });

/** A Block1 or Block2 option with SZX 7 (its value's last byte's low three bits; an empty value is SZX 0). */
const isBertBlock = (o: CoapOption): boolean => (o.number === Option.BLOCK1 || o.number === Option.BLOCK2) && o.value.length > 0 && (o.value[o.value.length - 1]! & 7) === 7;

const AUTH_PREFIX = new TextEncoder().encode("auth=");

/** A Uri-Query `auth=…` (compared as bytes: a query that is not UTF-8 is not one). */
const isAuthQuery = (o: CoapOption): boolean => o.number === Option.URI_QUERY && o.value.length >= AUTH_PREFIX.length && AUTH_PREFIX.every((b, i) => o.value[i] === b);

/** Commands or method calls held for one CON observer while it acknowledges the one before. */
const MAX_QUEUED_EVENTS = 1_000;

/** The gateway's session for one UDP peer. */
export class Translator {
  /** The hub connection: its CSM values and when a frame last crossed it. */
  private hub: { csm: CsmValues | null; lastAt: number } | null = null;
  private readonly exchanges = new Map<string, Exchange>();
  private readonly observations = new Observations();
  private readonly link: PeerLink<Tag>;
  private token: number;
  private lastPeerAt: number;

  constructor(
    private readonly config: TranslatorConfig,
    now: number,
  ) {
    this.link = new PeerLink<Tag>(config.timing, config.random);
    this.token = Math.floor(config.random() * 0x1_0000_0000);
    this.lastPeerAt = now;
  }

  /** Nothing in flight, nothing observed, and the peer quiet for `idleMs`: the session may end. */
  idle(now: number): boolean {
    return this.exchanges.size === 0 && this.observations.size === 0 && this.link.inFlight === 0 && now - this.lastPeerAt >= this.config.idleMs;
  }

  /** One datagram from the peer. */
  fromPeer(bytes: Uint8Array, now: number): Action[] {
    this.lastPeerAt = now;
    const parsed = parseDatagram(bytes);
    // RFC 7252 §4.2–§4.3: a CON we cannot process is rejected with RST, anything else ignored
    if (!parsed.ok) return parsed.type === "CON" && parsed.messageId !== undefined ? [udp(this.link.reset(parsed.messageId))] : [];
    const d = parsed.msg;
    if (d.type === "ACK" || d.type === "RST") return this.onSettle(d, now);
    // An Empty CON is a CoAP ping (§4.3); a response or reserved class has no exchange here
    if (udpKind(d.code) !== "request") return d.type === "CON" ? [udp(this.link.reset(d.messageId))] : [];
    return this.onRequest(d, now);
  }

  /** One WebSocket message from the hub. */
  fromHub(frame: Uint8Array, now: number): Action[] {
    if (this.hub === null) return [];
    this.hub.lastAt = now;
    const input = readHubFrame(frame, this.hub.csm);
    switch (input.kind) {
      case "response":
        return this.onHubResponse(input.msg, now);
      case "csm":
        this.hub.csm = input.csm;
        return [];
      case "answer":
        return [{ kind: "hub", frame: input.frame }];
      case "gone":
        return [...this.hubGone(input.code, input.why, now, input.options), disconnect(input.why)];
      case "violation":
        return [{ kind: "hub", frame: encode(abortMessage(input.why, input.badCsmOption)) }, ...this.hubGone(GatewayCode.BAD_GATEWAY, input.why, now), disconnect(input.why, 1002)];
      case "ignore":
        return [];
    }
  }

  /** The hub WebSocket closed or failed on its own: answer everything pending with 5.02. */
  hubClosed(why: string, now: number): Action[] {
    return this.hub === null ? [] : this.hubGone(GatewayCode.BAD_GATEWAY, why, now);
  }

  /** Retransmissions, piggyback deadlines and hub timeouts due at `now`. */
  tick(now: number): Action[] {
    const out: Action[] = [];
    for (const [key, ex] of this.exchanges) {
      if (ex.expiresAt <= now) {
        this.exchanges.delete(key);
        out.push(...this.reply(ex, diagnostic(GatewayCode.GATEWAY_TIMEOUT, ex.clientToken, "the hub did not answer in time"), now));
      } else if (ex.peer?.type === "CON" && !ex.peer.acked && ex.ackAt <= now) {
        out.push(udp(this.link.ack(ex.peer)));
      }
    }
    if (this.hub !== null && now - this.hub.lastAt >= this.config.keepaliveMs) out.push(this.toHub(encode(pingMessage()), now));
    const due = this.link.due(now);
    for (const p of due.resend) out.push({ kind: "udp", bytes: p.bytes, retransmission: true });
    for (const p of due.expired) {
      // RFC 7641 §4.5: a CON notification never acknowledged means the peer is gone
      const obs = p.tag.kind === "notification" ? this.observations.forHub(p.tag.hubToken) : undefined;
      if (obs !== undefined) out.push(...this.cancel(obs, now));
    }
    return out;
  }

  /** When `tick` has work next, or null. */
  nextDeadline(): number | null {
    let next = this.link.nextDeadline();
    if (this.hub !== null && (next === null || this.hub.lastAt + this.config.keepaliveMs < next)) next = this.hub.lastAt + this.config.keepaliveMs;
    for (const ex of this.exchanges.values()) {
      const at = ex.peer?.type === "CON" && !ex.peer.acked ? Math.min(ex.ackAt, ex.expiresAt) : ex.expiresAt;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** Ends the session: 5.03 to whatever is pending or observed, then Release to the hub (RFC 8323 §5.5). */
  release(why: string, now: number): Action[] {
    if (this.hub === null) return [];
    return [...this.hubGone(Code.SERVICE_UNAVAILABLE, why, now), { kind: "hub", frame: encode(releaseMessage()) }, disconnect(why)];
  }

  private onRequest(d: Datagram, now: number): Action[] {
    const arrival = this.link.arrive(d, now);
    if (arrival.duplicate) {
      // RFC 7252 §4.5: a duplicate CON gets the same answer; if the hub is still busy, an Empty ACK now
      if (d.type === "NON") return [];
      if (arrival.reply !== null) return [udp(arrival.reply)];
      const peer = [...this.exchanges.values()].find((e) => e.peer?.messageId === d.messageId && !e.peer.acked)?.peer;
      return peer ? [udp(this.link.ack(peer))] : [];
    }
    const observe = observeOf(d);
    const existing = this.observations.forClient(d.token);
    let hubToken: Uint8Array;
    if (existing !== undefined && (observe === 0 || observe === 1)) {
      // RFC 7641 §3.6/§4.1: same token re-registers or deregisters the same observation at the hub
      hubToken = existing.hubToken;
      if (observe === 1) this.observations.remove(existing);
    } else {
      hubToken = this.newToken();
    }
    const request = toHubRequest(d, hubToken);
    const frame = encode(request);
    const ex = this.exchange(hubToken, d.token, { type: d.type === "CON" ? "CON" : "NON", messageId: d.messageId, acked: false }, request, d.options, observe, now);
    if (!d.options.some(isAuthQuery)) {
      // Over UDP a bound session is only an address and port, which anyone may forge: a request
      // without its device's token would run as that device (the hub's WebSocket is bound once).
      return this.reply(ex, diagnostic(Code.UNAUTHORIZED, d.token, "auth=<device token> is required in the Uri-Query of every request over UDP"), now);
    }
    if (d.options.some(isBertBlock)) {
      // RFC 7959 §2.2: SZX 7 is reserved over UDP and MUST lead to 4.00 (on the hub's WebSocket it means BERT)
      return this.reply(ex, diagnostic(Code.BAD_REQUEST, d.token, "Block1/Block2 SZX 7 is reserved (RFC 7959 §2.2)"), now);
    }
    const limit = this.hub?.csm?.maxMessageSize;
    if (limit !== undefined && frame.length > limit) {
      // RFC 7959 §2.9.3: too big for the hub in one message; Size1 says how much body fits
      const size1 = Math.max(0, limit - (frame.length - request.payload.length));
      return this.reply(ex, diagnostic(Code.REQUEST_ENTITY_TOO_LARGE, d.token, "request too large for the hub", [uintOption(Option.SIZE1, size1)]), now);
    }
    if (this.exchanges.size >= this.config.maxExchanges) {
      return this.reply(ex, diagnostic(Code.TOO_MANY_REQUESTS, d.token, "too many requests in flight", [uintOption(Option.MAX_AGE, 1)]), now);
    }
    this.exchanges.set(toHex(hubToken), ex);
    const open: Action[] = [];
    if (this.hub === null) {
      this.hub = { csm: null, lastAt: now };
      // RFC 8323 §5.3: our CSM is the first message; Block-Wise-Transfer lets the hub cut big answers
      open.push({ kind: "connect" }, this.toHub(encode(csmMessage({ maxMessageSize: this.config.maxMessageSize, blockWise: true })), now));
    }
    return [...open, this.toHub(frame, now)];
  }

  private onHubResponse(msg: CoapMessage, now: number): Action[] {
    const key = toHex(msg.token);
    const ex = this.exchanges.get(key);
    if (ex !== undefined) {
      this.exchanges.delete(key);
      if (ex.observe === 0 && ex.peer !== null) this.recordObservation(ex, msg);
      return this.reply(ex, msg, now);
    }
    const obs = this.observations.forHub(msg.token);
    return obs === undefined ? [] : this.notify(obs, msg, now);
  }

  /** RFC 7641 §3.1, §4.1: a 2.xx answer with Observe starts (or renews) the observation; anything else ends it. */
  private recordObservation(ex: Exchange, msg: CoapMessage): void {
    const existing = this.observations.forClient(ex.clientToken);
    if (codeClass(msg.code) !== 2 || observeOf(msg) === undefined) {
      if (existing !== undefined) this.observations.remove(existing);
      return;
    }
    const confirmable = ex.peer?.type === "CON";
    if (existing !== undefined && bytesEqual(existing.hubToken, ex.hubToken)) {
      existing.confirmable = confirmable;
      existing.registration = ex.request;
      return;
    }
    this.observations.add({ clientToken: ex.clientToken, hubToken: ex.hubToken, confirmable, registration: ex.request, inFlight: null, queued: [], events: observesEvents(getUriPath(ex.request)) });
  }

  /** The answer to an exchange, unless the peer's No-Response declines it (RFC 7967). */
  private reply(ex: Exchange, msg: CoapMessage, now: number): Action[] {
    if (ex.peer === null) return [];
    if (suppressed({ options: ex.peerOptions }, msg.code)) return ex.peer.type === "CON" && !ex.peer.acked ? [udp(this.link.ack(ex.peer))] : [];
    return [udp(this.link.answer(ex.peer, msg, ex.clientToken, { kind: "response" }, now))];
  }

  private notify(obs: Observation, msg: CoapMessage, now: number): Action[] {
    const ok = codeClass(msg.code) === 2;
    // a NON observer quiet for long gets a CON: the way to learn it is gone (RFC 7641 §4.5)
    const confirm = obs.confirmable || now - this.lastPeerAt >= this.config.idleMs;
    if (!ok) this.observations.remove(obs); // RFC 7641 §3.2: a non-2.xx notification ends it
    else if (confirm && obs.inFlight !== null) {
      // A command or call skipped here would stay "delivered" at the hub until the device reconnects.
      if (!obs.events) obs.queued = [msg];
      else if (obs.queued.length < MAX_QUEUED_EVENTS) obs.queued.push(msg);
      else return this.cancel(obs, now); // the hub sends what it holds again to the next observer
      return [];
    }
    const sent = this.link.send(msg, confirm ? "CON" : "NON", obs.clientToken, { kind: "notification", hubToken: obs.hubToken }, now);
    if (confirm) obs.inFlight = sent.messageId;
    else this.observations.sentNon(sent.messageId, obs);
    return [udp(sent.bytes)];
  }

  private onSettle(d: Datagram, now: number): Action[] {
    const p = this.link.settle(d.messageId);
    const obs =
      p === undefined ? (d.type === "RST" ? this.observations.takeNon(d.messageId) : undefined) : p.tag.kind === "notification" ? this.observations.forHub(p.tag.hubToken) : undefined;
    if (obs === undefined) return [];
    if (d.type === "RST") return this.cancel(obs, now); // RFC 7641 §3.6: RST to a notification cancels
    if (obs.inFlight !== d.messageId) return [];
    obs.inFlight = null;
    const next = obs.queued.shift();
    return next === undefined ? [] : this.notify(obs, next, now);
  }

  /** The peer is gone from an observation: tell the hub with a deregistering GET (RFC 7641 §3.6). */
  private cancel(obs: Observation, now: number): Action[] {
    this.observations.remove(obs);
    if (this.hub === null) return [];
    const request = withObserve(obs.registration, 1, obs.hubToken);
    this.exchanges.set(toHex(obs.hubToken), this.exchange(obs.hubToken, obs.clientToken, null, request, [], 1, now));
    return [this.toHub(encode(request), now)];
  }

  private hubGone(code: number, why: string, now: number, options: CoapMessage["options"] = []): Action[] {
    this.hub = null;
    const out: Action[] = [];
    const pending = [...this.exchanges.values()];
    this.exchanges.clear();
    for (const ex of pending) out.push(...this.reply(ex, diagnostic(code, ex.clientToken, why, options), now));
    for (const obs of this.observations.drain()) {
      const final = diagnostic(code, obs.clientToken, why, options);
      out.push(udp(this.link.send(final, obs.confirmable ? "CON" : "NON", obs.clientToken, { kind: "response" }, now).bytes));
    }
    return out;
  }

  private exchange(hubToken: Uint8Array, clientToken: Uint8Array, peer: PeerSide | null, request: CoapMessage, peerOptions: CoapOption[], observe: number | undefined, now: number): Exchange {
    return { hubToken, clientToken, peer, request, peerOptions, observe, ackAt: now + this.config.piggybackMs, expiresAt: now + this.config.hubTimeoutMs };
  }

  private toHub(frame: Uint8Array, now: number): Action {
    if (this.hub !== null) this.hub.lastAt = now;
    return { kind: "hub", frame };
  }

  private newToken(): Uint8Array {
    for (;;) {
      this.token = (this.token + 1) >>> 0;
      const t = Uint8Array.of(this.token >>> 24, (this.token >>> 16) & 0xff, (this.token >>> 8) & 0xff, this.token & 0xff);
      if (!this.exchanges.has(toHex(t)) && !this.observations.usesHubToken(t)) return t;
    }
  }
}

function disconnect(reason: string, code = 1000): Action {
  return { kind: "disconnect", code, reason };
}
