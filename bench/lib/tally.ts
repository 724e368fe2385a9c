/**
 * Bookkeeping of one measured round of messages: which were acknowledged, which each
 * subscriber received (unique, duplicates apart), latencies, and the instant the round's goal
 * was reached. Payloads carry a stamp `{"r":round,"p":publisher,"s":seq,"t":sentAt}` so
 * delivery is checked per message, not counted.
 */
import { Histogram } from "./histogram";

/** What a message payload carries. */
export interface Stamp {
  r: number;
  p: number;
  s: number;
  /** `performance.now()` at send, in ms (sender and receiver share this process). */
  t: number;
}

/** Payload bytes for a message of round `r`, publisher `p`, sequence `s`, stamped now. */
export function stamp(r: number, p: number, s: number): Buffer {
  return Buffer.from(`{"r":${r},"p":${p},"s":${s},"t":${performance.now().toFixed(3)}}`);
}

const isNum = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/**
 * Reads a stamp from a payload: the JSON as sent, or wrapped as Umbra delivered device telemetry
 * to apps so far (`{"ts":…,"data":{…}}`); both are accepted while that changes.
 */
export function readStamp(payload: Uint8Array): Stamp | undefined {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString("utf8"));
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const inner = typeof o.data === "object" && o.data !== null && !("r" in o) ? (o.data as Record<string, unknown>) : o;
  return isNum(inner.r) && isNum(inner.p) && isNum(inner.s) && isNum(inner.t) ? { r: inner.r, p: inner.p, s: inner.s, t: inner.t } : undefined;
}

/** One round: `pubs` publishers × `perPub` messages, each expected at every one of `subs` subscribers. */
export class Tally {
  readonly latency = new Histogram();
  readonly ackLatency = new Histogram();
  private readonly acks: Uint8Array;
  private readonly seen: Uint8Array;
  /** Unique deliveries per publisher, summed over subscribers (QoS 0 flow control). */
  readonly deliveredPerPub: Int32Array;
  acked = 0;
  received = 0;
  dup = 0;
  errors = 0;
  firstError: string | undefined;
  readonly startedAt = performance.now();
  /** Last ack or delivery (stall detection). */
  lastEvent = performance.now();
  /** When `goal` first held. */
  doneAt: number | undefined;
  private goal: (() => boolean) | undefined;
  private onGoal: (() => void) | undefined;
  /** Called after each delivery of publisher `p`'s message (publishers waiting on QoS 0 flow). */
  wake: ((p: number) => void) | undefined;

  constructor(readonly round: number, readonly pubs: number, readonly perPub: number, readonly subs = 1) {
    this.acks = new Uint8Array(pubs * perPub);
    this.seen = new Uint8Array(subs * pubs * perPub);
    this.deliveredPerPub = new Int32Array(pubs);
  }

  get expected(): number {
    return this.pubs * this.perPub;
  }

  /** Every message acknowledged (or failed). */
  allAcked(): boolean {
    return this.acked + this.errors >= this.expected;
  }

  /** Every message at every subscriber. */
  allDelivered(): boolean {
    return this.received >= this.expected * this.subs;
  }

  /** Resolves as soon as `goal` holds (checked on every event). */
  until(goal: () => boolean, onGoal: () => void): void {
    this.goal = goal;
    this.onGoal = onGoal;
    this.check();
  }

  private check(): void {
    if (this.doneAt === undefined && this.goal?.()) {
      this.doneAt = performance.now();
      this.onGoal?.();
    }
  }

  /** The broker acknowledged (or, QoS 0, the client wrote) message `s` of publisher `p`. */
  ack(p: number, s: number, sentAt: number, error?: Error): void {
    this.lastEvent = performance.now();
    if (error) {
      this.errors++;
      this.firstError ??= error.message;
    } else if (!this.acks[p * this.perPub + s]) {
      this.acks[p * this.perPub + s] = 1;
      this.acked++;
      this.ackLatency.record(this.lastEvent - sentAt);
    }
    this.check();
  }

  /** Subscriber `sub` received a payload; ignores other rounds' messages. */
  deliver(sub: number, payload: Uint8Array): void {
    const st = readStamp(payload);
    if (!st || st.r !== this.round || st.p < 0 || st.p >= this.pubs || st.s < 0 || st.s >= this.perPub) return;
    const at = (sub * this.pubs + st.p) * this.perPub + st.s;
    this.lastEvent = performance.now();
    if (this.seen[at]) {
      this.dup++;
      return;
    }
    this.seen[at] = 1;
    this.received++;
    this.deliveredPerPub[st.p]++;
    this.latency.record(this.lastEvent - st.t);
    this.wake?.(st.p);
    this.check();
  }

  /** Messages acknowledged but missing at some subscriber (counted once per subscriber). */
  lost(): number {
    let n = 0;
    for (let i = 0; i < this.acks.length; i++) {
      if (!this.acks[i]) continue;
      for (let sub = 0; sub < this.subs; sub++) if (!this.seen[sub * this.acks.length + i]) n++;
    }
    return n;
  }

  /** Sequence numbers publisher `p` had acknowledged. */
  ackedSeqs(p: number): number[] {
    const out: number[] = [];
    for (let s = 0; s < this.perPub; s++) if (this.acks[p * this.perPub + s]) out.push(s);
    return out;
  }
}
