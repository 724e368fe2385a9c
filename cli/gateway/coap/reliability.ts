/**
 * The RFC 7252 §4 message layer toward one UDP peer, as plain data and clocks passed in:
 * duplicate detection of the peer's message ids (§4.5) with the reply to replay, and
 * retransmission of our Confirmable messages with exponential back-off (§4.2).
 */

/** RFC 7252 §4.8 transmission parameters (seconds in the RFC, milliseconds here). */
export interface Timing {
  ackTimeoutMs: number;
  ackRandomFactor: number;
  maxRetransmit: number;
}

/** RFC 7252 §4.8 defaults. */
export const DEFAULT_TIMING: Timing = { ackTimeoutMs: 2000, ackRandomFactor: 1.5, maxRetransmit: 4 };

/** RFC 7252 §4.8.2: EXCHANGE_LIFETIME (247 s) and NON_LIFETIME (145 s) for the defaults. */
export function lifetimes(t: Timing): { exchangeMs: number; nonMs: number } {
  const maxTransmitSpan = t.ackTimeoutMs * (2 ** t.maxRetransmit - 1) * t.ackRandomFactor;
  const maxLatency = 100_000;
  return { exchangeMs: maxTransmitSpan + 2 * maxLatency + t.ackTimeoutMs, nonMs: maxTransmitSpan + maxLatency };
}

interface Seen {
  expires: number;
  /** What we answered (piggybacked or Empty ACK, RST), replayed for a duplicate (§4.5). */
  reply: Uint8Array | null;
}

/** Message ids a peer used recently; oldest are forgotten first past `max`. */
export class Dedupe {
  private readonly seen = new Map<number, Seen>();

  constructor(private readonly max = 4096) {}

  /** The earlier record of this id, if it is still fresh. */
  lookup(messageId: number, now: number): Seen | undefined {
    const s = this.seen.get(messageId);
    if (s !== undefined && s.expires <= now) {
      this.seen.delete(messageId);
      return undefined;
    }
    return s;
  }

  /** Records a new message id, kept until `expires`. */
  remember(messageId: number, expires: number, now: number): void {
    this.prune(now);
    this.seen.delete(messageId);
    while (this.seen.size >= this.max) {
      const oldest = this.seen.keys().next().value;
      if (oldest === undefined) break;
      this.seen.delete(oldest);
    }
    this.seen.set(messageId, { expires, reply: null });
  }

  /** Sets the reply to replay for a duplicate of `messageId`. */
  answer(messageId: number, reply: Uint8Array): void {
    const s = this.seen.get(messageId);
    if (s !== undefined) s.reply = reply;
  }

  private prune(now: number): void {
    // insertion order is nearly expiry order (two lifetimes, CON and NON): stop at the first live
    // entry; an expired one left behind is ignored by lookup and bounded by `max`
    for (const [id, s] of this.seen) {
      if (s.expires > now) break;
      this.seen.delete(id);
    }
  }
}

/** A Confirmable message we sent and wait to be acknowledged, with what it was for. */
export interface Pending<T> {
  messageId: number;
  bytes: Uint8Array;
  tag: T;
  /** Retransmissions so far. */
  attempts: number;
  timeoutMs: number;
  nextAt: number;
}

/** Outcome of the retransmission clock: messages to send again, and ones given up on. */
export interface Due<T> {
  resend: Pending<T>[];
  expired: Pending<T>[];
}

/** Our Confirmable messages in flight to one peer (RFC 7252 §4.2). */
export class Outbox<T> {
  private readonly pending = new Map<number, Pending<T>>();

  /** @param random a number in [0, 1), for the initial timeout's jitter */
  constructor(
    private readonly timing: Timing,
    private readonly random: () => number,
  ) {}

  /** Starts tracking a message just sent. */
  add(messageId: number, bytes: Uint8Array, tag: T, now: number): void {
    const { ackTimeoutMs, ackRandomFactor } = this.timing;
    const timeoutMs = ackTimeoutMs * (1 + (ackRandomFactor - 1) * this.random());
    this.pending.set(messageId, { messageId, bytes, tag, attempts: 0, timeoutMs, nextAt: now + timeoutMs });
  }

  /** An ACK or RST arrived for `messageId`: stop retransmitting and return the entry. */
  settle(messageId: number): Pending<T> | undefined {
    const p = this.pending.get(messageId);
    this.pending.delete(messageId);
    return p;
  }

  /** Whether a message id is in flight (so a new message must not reuse it). */
  has(messageId: number): boolean {
    return this.pending.has(messageId);
  }

  /** Messages due at `now`: retransmitted with the timeout doubled, or given up after MAX_RETRANSMIT. */
  due(now: number): Due<T> {
    const out: Due<T> = { resend: [], expired: [] };
    for (const p of this.pending.values()) {
      if (p.nextAt > now) continue;
      if (p.attempts >= this.timing.maxRetransmit) {
        this.pending.delete(p.messageId);
        out.expired.push(p);
        continue;
      }
      p.attempts += 1;
      p.timeoutMs *= 2;
      p.nextAt = now + p.timeoutMs;
      out.resend.push(p);
    }
    return out;
  }

  /** When the next retransmission or give-up is due, or null. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const p of this.pending.values()) if (next === null || p.nextAt < next) next = p.nextAt;
    return next;
  }

  /** Number of messages in flight. */
  get size(): number {
    return this.pending.size;
  }
}
