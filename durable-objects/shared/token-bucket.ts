/**
 * A token bucket (pure: time is an argument): `rate` tokens a second, at most `burst` saved.
 * Objects use it to hold a device to its message rate: over it, an MQTT acknowledgement waits,
 * a JSON message gets `busy`, an HTTP request 429 — the sender slows down instead of being cut off.
 */
export class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = 0,
  ) {
    this.tokens = burst;
    this.at = now;
  }

  /**
   * Takes `n` tokens when there are enough and returns 0; otherwise takes none and returns the
   * milliseconds until there will be.
   * @example const wait = bucket.take(Date.now()); if (wait > 0) refuse(wait);
   */
  take(now: number, n = 1): number {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens >= n) {
      this.tokens -= n;
      return 0;
    }
    return Math.ceil(((n - this.tokens) / this.rate) * 1000);
  }

  /**
   * Milliseconds until `n` tokens are there, taking none (0: they are there now). A check before
   * work whose failure is what costs a token (a credential lookup).
   */
  wait(now: number, n = 1): number {
    this.take(now, 0);
    return this.tokens >= n ? 0 : Math.ceil(((n - this.tokens) / this.rate) * 1000);
  }

  /**
   * Takes a token even when there is none (a debt the rate pays back) and returns how long the
   * caller should hold its acknowledgement: 0 within the rate, else the time until the debt is
   * paid. Acknowledgements held that long pace a sender to the rate without refusing anything.
   */
  reserve(now: number): number {
    this.take(now, 0);
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }
}

/** How many times its rate (and its burst) a sender may send in messages that are refused before it counts as flooding. */
export const FLOOD_FACTOR = 10;

/**
 * A sender's message rate, and how far it may ignore it. Over the rate a message is refused (a
 * JSON message gets `busy`) or dropped (QoS 0): a sender told so slows down. One that keeps
 * sending regardless, past {@link FLOOD_FACTOR} times its rate and burst in refused messages, is
 * flooding, and its connection ends. On a local hub this is what keeps one such device from
 * stalling every other client: its socket never runs dry, and the runtime reads no other socket
 * while one always has a message waiting (json-connections.ts). QoS 1/2 messages are not refused
 * but paced ({@link TokenBucket.reserve}); their flood ends at the session's cap on
 * unacknowledged messages.
 */
export class SenderRate {
  private readonly bucket: TokenBucket;
  private readonly refusals: TokenBucket;

  constructor(rate: number, burst: number, now = 0) {
    this.bucket = new TokenBucket(rate, burst, now);
    this.refusals = new TokenBucket(rate * FLOOD_FACTOR, burst * FLOOD_FACTOR, now);
  }

  /**
   * Takes a token for a message: 0 when there was one; over the rate, the milliseconds until there
   * will be (refuse the message and say so); or {@link FLOODING} once the sender is past its refusals.
   */
  admit(now: number): number {
    const wait = this.bucket.take(now);
    if (wait === 0) return 0;
    return this.refusals.take(now) === 0 ? wait : FLOODING;
  }

  /** Paces a message that is never refused (see {@link TokenBucket.reserve}). */
  reserve(now: number): number {
    return this.bucket.reserve(now);
  }
}

/** The verdict on a sender past its refusals (see {@link SenderRate}): end its connection. */
export const FLOODING = -2;
/** The verdict on a QoS 0 message over the rate: drop it. */
export const DROP = -1;

/**
 * How long to hold the acknowledgement of a client's message to keep it within its rate
 * (0: none, or no limit), {@link DROP} for a QoS 0 message over the rate, or {@link FLOODING}.
 */
export function pace(rate: SenderRate | undefined, qos: number, now: number): number {
  if (!rate) return 0;
  if (qos === 0) {
    const wait = rate.admit(now);
    return wait === 0 ? 0 : wait === FLOODING ? FLOODING : DROP;
  }
  return rate.reserve(now);
}
