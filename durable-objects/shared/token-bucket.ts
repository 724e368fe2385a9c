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

/**
 * How long to hold the acknowledgement of a client's message to keep it within its rate
 * (0: none, or no bucket), or -1 to drop it (QoS 0 over the rate).
 */
export function pace(bucket: TokenBucket | undefined, qos: number, now: number): number {
  if (!bucket) return 0;
  if (qos === 0) return bucket.take(now) === 0 ? 0 : -1;
  return bucket.reserve(now);
}
