/**
 * The delivery engine of a webhook object: starts attempts for due events (oldest first, up to
 * CONCURRENCY in flight, each leased so that an object evicted mid-send sends it again from its
 * alarm), records the attempts that ended in one transaction per group-commit window, moves the
 * failure streak, and arms the alarm for the next retry. A receiver that answers 429 or 503 with
 * `Retry-After` gets no attempt before then (the pause is stored, so it outlives the object).
 */
import type { WebhookEventType, WebhookFilter } from "./events";
import type { WebhookStore, EventRow } from "./store";
import type { AlarmScheduler } from "../shared/alarms";
import { GroupCommit } from "../shared/group-commit";
import { logError } from "../../protocols/log-text";
import { afterAttempt, nextAttempt, type FailureStreak, type RetryPolicy } from "./backoff";
import { urlProblem } from "./url-policy";
import { ATTEMPT_TIMEOUT_MS, postEvent, type AttemptResult } from "./sender";

/** What the registry says about a webhook (pushed by the Worker on every change). */
export interface WebhookSettings {
  id: string;
  url: string;
  events: WebhookEventType[];
  filter: WebhookFilter;
  enabled: boolean;
  /** The registry row's `updated_at` these settings were read at (absent in settings stored before it was kept). */
  updatedAt?: number;
}

/** What the engine needs from its object. */
export interface DeliveryHost {
  settings(): WebhookSettings | null;
  /** The secrets that sign now, newest first. */
  secrets(now: number): string[];
  allowPrivate(): boolean;
  streak(): FailureStreak;
  setStreak(streak: FailureStreak): void;
  /** Disables the webhook; must clear `settings().enabled` before its first await. */
  disable(streak: FailureStreak, lastError: string): Promise<void>;
  name(): string;
}

/** Attempts in flight per webhook. */
const CONCURRENCY = 16;
/** How long an attempt holds its event: past it, the alarm sends the event again. */
const LEASE_MS = ATTEMPT_TIMEOUT_MS + 30_000;
/** The store's meta key of the pause a receiver asked for. */
const PAUSE_KEY = "paused_until";

type Completion = { row: EventRow; result: AttemptResult; at: number };

/** Sends a webhook object's outbox: attempts, their results, retries (see the file comment). */
export class Delivery {
  private readonly inflight = new Set<number>();
  private finished = 0;
  private paused: number;
  /** Attempts that ended, recorded together (one transaction per turn of the event loop). */
  private readonly completions = new GroupCommit<Completion>((done) => this.complete(done));

  constructor(
    private readonly store: WebhookStore,
    private readonly storage: DurableObjectStorage,
    private readonly alarms: AlarmScheduler,
    private readonly policy: RetryPolicy,
    private readonly host: DeliveryHost,
  ) {
    // A new life of the object: nothing is in flight, and what the last one was sending is due again now.
    store.releaseLeases(Date.now());
    this.paused = store.getMeta<number>(PAUSE_KEY) ?? 0;
  }

  /** Enabled again: the backlog and any pause the receiver asked for end now. */
  resume(now: number): void {
    this.pause(0);
    this.store.dueNow(now);
  }

  /** The receiver asked (429/503 `Retry-After`) to get nothing before this time (ms; 0: no pause). */
  get pausedUntil(): number {
    return this.paused;
  }

  private pause(until: number): void {
    this.paused = until;
    this.store.setMeta(PAUSE_KEY, until);
  }

  /** Starts attempts for the due events, oldest first, up to CONCURRENCY in flight. */
  pump(): void {
    const s = this.host.settings();
    if (!s?.enabled) return;
    const now = Date.now();
    if (now < this.pausedUntil) return void this.arm();
    const start: EventRow[] = [];
    for (const row of this.store.due(now, CONCURRENCY - this.inflight.size, this.inflight)) {
      if (now - row.created_at > this.policy.horizonMs) {
        this.store.expire(row.seq, "not delivered within 24 h (the webhook was disabled)");
        continue;
      }
      this.inflight.add(row.seq);
      start.push(row);
    }
    this.store.lease(
      start.map((r) => r.seq),
      now + LEASE_MS,
    );
    for (const row of start) void this.attempt(s, row);
    void this.arm();
  }

  /**
   * Arms the alarm for the next due event not in flight. While attempts are in flight their
   * completions pump again, so the alarm is only the safety net then (at most one a second,
   * and never later than the leases of those in flight: the object may be evicted mid-send).
   */
  async arm(): Promise<void> {
    if (!this.host.settings()?.enabled) return;
    const now = Date.now();
    const next = this.store.nextDue(this.inflight);
    const lease = now + LEASE_MS;
    const at = this.inflight.size ? Math.min(Math.max(next ?? lease, now + 1_000), lease) : next === null ? null : Math.max(next, this.pausedUntil);
    if (at !== null) await this.alarms.set("deliver", Math.max(at, now + 1));
  }

  private async attempt(s: WebhookSettings, row: EventRow): Promise<void> {
    const now = Date.now();
    const problem = urlProblem(s.url, this.host.allowPrivate());
    const result: AttemptResult = problem ? { ok: false, status: null, error: `URL refused: ${problem}` } : await postEvent(s.url, row.id, row.body, this.host.secrets(now), now);
    this.completions.add([{ row, result, at: Date.now() }]).catch((err: unknown) => console.error(`WebhookObject ${this.host.name()}: recording attempts failed: ${logError(err)}`));
  }

  /**
   * Records the attempts that ended within one group-commit window in one transaction (one
   * UPDATE for all the delivered ones), moves the failure streak, and starts the next attempts.
   */
  private complete(done: readonly Completion[]): void {
    for (const c of done) this.inflight.delete(c.row.seq);
    if (this.host.settings() === null) return; // deleted meanwhile
    let streak = this.host.streak();
    let disable: { streak: FailureStreak; error: string } | null = null;
    this.storage.transactionSync(() => {
      const delivered = new Map<number, number[]>();
      let pause = this.pausedUntil;
      for (const { row, result, at } of done) {
        const status = result.status ?? 200;
        if (result.ok) delivered.set(status, [...(delivered.get(status) ?? []), row.seq]);
        else {
          // A receiver's Retry-After holds back this event and every other one until then (pump and arm wait it out).
          if (result.retryAfterMs != null) pause = Math.max(pause, at + result.retryAfterMs);
          this.store.failed(row.seq, result.status, result.error ?? "failed", nextAttempt(row.attempts + 1, row.created_at, at, this.policy));
        }
        const next = afterAttempt(streak, result.ok, at, this.policy);
        streak = { since: next.since, failures: next.failures };
        if (next.disable) disable ??= { streak, error: result.error ?? "failed" };
      }
      for (const [status, seqs] of delivered) this.store.delivered(seqs, status, Date.now());
      // The log is trimmed on the first completions of each object life and every 100 after.
      if (this.finished === 0 || Math.floor(this.finished / 100) !== Math.floor((this.finished + done.length) / 100)) this.store.pruneLog();
      this.finished += done.length;
      this.host.setStreak(streak);
      if (pause > this.pausedUntil) this.pause(pause);
    });
    const off = disable as { streak: FailureStreak; error: string } | null;
    if (off) this.host.disable(off.streak, off.error).catch((err: unknown) => console.error(`WebhookObject ${this.host.name()}: disabling failed: ${logError(err)}`));
    this.pump();
  }
}
