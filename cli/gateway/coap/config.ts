/** The tunables of one UDP peer's session through the gateway, and their defaults. */
import { DEFAULT_TIMING, type Timing } from "./reliability";

/** Tunables of a peer session. */
export interface TranslatorConfig {
  timing: Timing;
  /** Wait this long for the hub's answer before acknowledging a CON request empty (RFC 7252 §5.2.2). */
  piggybackMs: number;
  /** Give up on the hub after this long with 5.04. */
  hubTimeoutMs: number;
  /** A peer silent this long gets its next notification as CON, and an empty session ends. */
  idleMs: number;
  /** Max-Message-Size in our CSM: 1152 keeps answers in one datagram (RFC 7252 §4.6); the hub sends Block2 beyond. */
  maxMessageSize: number;
  /** Ping the hub after this long without traffic, so no proxy drops a quiet WebSocket (RFC 8323 §5.4). */
  keepaliveMs: number;
  /** Requests one peer may have at the hub at once; more get 4.29 (RFC 8516). NSTART is 1 (RFC 7252 §4.7). */
  maxExchanges: number;
  /** [0, 1), for retransmission jitter and the first token and message id. */
  random: () => number;
}

/** Defaults: RFC 7252 timing, piggyback within 1 s (before the peer's first retransmission). */
export const DEFAULT_TRANSLATOR: TranslatorConfig = {
  timing: DEFAULT_TIMING,
  piggybackMs: 1000,
  hubTimeoutMs: 30_000,
  idleMs: 120_000,
  maxMessageSize: 1152,
  keepaliveMs: 45_000,
  maxExchanges: 64,
  random: Math.random,
};
