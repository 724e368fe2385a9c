/**
 * WebhookObject: one per webhook (`idFromName(webhookId)`), SQLite-backed. In the topic space
 * a webhook is a subscriber session with the address `w:<webhookId>`: its topic filters are
 * registered in the shards, and devices' objects deliver matching messages straight here — no
 * central evaluator on the message path. Each batch becomes webhook events, filtered by group
 * or tag, written to the durable outbox in one transaction before the call resolves (so a
 * device's QoS 1 message reaches the outbox at least once), then POSTed one event per request
 * with bounded concurrency, retried with backoff from the object's alarm.
 *
 * Object alarms, not Cloudflare Queues: a webhook's outbox, retry schedule, failure streak,
 * secrets and delivery log live together in one object and change in one transaction; one
 * slow or dead endpoint backs off on its own without holding a shared consumer; and it needs
 * no further product, so it runs the same under `wrangler dev`.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import { logText } from "../../protocols/log-text";
import { ShardClient } from "../routing/shard-client";
import { webhookSession } from "../routing/sessions";
import { AlarmScheduler } from "../shared/alarms";
import { DeliveryMarks, wholeMark, type DeliveryMark, type Marks } from "../shared/delivery-marks";
import { eventOf, topicFilters, type WebhookEvent } from "./events";
import { WebhookStore, type EventRow } from "./store";
import { Membership, markDisabled } from "./membership";
import { retryPolicy, type FailureStreak } from "./backoff";
import { newSecret } from "./signature";
import { ROTATION_GRACE_MS, rotateSecrets, signingSecrets, type Secret } from "./secrets";
import { Delivery, type WebhookSettings } from "./delivery";
import { flagVar } from "../vars";

export type { WebhookSettings } from "./delivery";

/** Delivery state of a webhook, as `GET /v1/webhooks/{id}` shows it. */
export interface WebhookState {
  pending: number;
  dropped: number;
  consecutive_failures: number;
  /** Epoch ms of the first failure of the current streak (the registry shows it as ISO 8601). */
  failing_since: number | null;
}

/** One webhook: its settings, secrets, outbox and delivery log (see the file comment). */
export class WebhookObject extends DurableObject<Env> {
  private readonly store: WebhookStore;
  private readonly shards: ShardClient;
  private readonly alarms: AlarmScheduler;
  private readonly members: Membership;
  private readonly delivery: Delivery;
  /** What the outbox already holds from each topic-space outbox (re-made with the storage). */
  private marks: DeliveryMarks;
  private settingsCache: WebhookSettings | null | undefined;
  private secretsCache: Secret[] | null = null;
  private streakCache: FailureStreak | null = null;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new WebhookStore(ctx.storage.sql);
    this.store.migrate();
    this.marks = new DeliveryMarks(ctx.storage.sql);
    this.shards = new ShardClient(env, "default");
    this.alarms = new AlarmScheduler(ctx.storage);
    this.members = new Membership(env.DB);
    this.delivery = new Delivery(this.store, ctx.storage, this.alarms, retryPolicy(env), {
      settings: () => this.settings,
      secrets: (now) => this.liveSecrets(now).map((x) => x.secret),
      allowPrivate: () => flagVar(env, "WEBHOOK_ALLOW_PRIVATE"),
      streak: () => this.streak(),
      setStreak: (streak) => this.setStreak(streak),
      disable: (streak, error) => this.disable(streak, error),
      name: () => this.name,
    });
  }

  private get settings(): WebhookSettings | null {
    if (this.settingsCache === undefined) this.settingsCache = this.store.getMeta<WebhookSettings>("settings");
    return this.settingsCache;
  }

  // ---- RPC for the Worker ---------------------------------------------------------------------

  /**
   * Takes the registry's settings and registers (or drops) the webhook's topic filters in the
   * shards before resolving. `createSecret`: a new webhook, whose first secret is returned once.
   */
  async configure(settings: WebhookSettings, createSecret = false): Promise<{ secret: string | null }> {
    const before = this.settings;
    let secret: string | null = null;
    if (createSecret) {
      secret = newSecret();
      this.setSecrets([{ secret, expiresAt: null }]);
    }
    this.store.setMeta("settings", settings);
    this.settingsCache = settings;
    if (settings.enabled && !before?.enabled) {
      // Enabled again: the streak starts over, and the backlog goes now (pumped below), not at its old retry times.
      this.setStreak({ since: null, failures: 0 });
      this.delivery.resume(Date.now());
    }
    await this.subscribe(settings.enabled ? topicFilters(settings.events, settings.filter) : []);
    this.delivery.pump();
    return { secret };
  }

  /**
   * A new secret; the one it replaces keeps signing beside it for `graceMs` (0: it ends now),
   * and any earlier replaced one ends now: at most two sign (see secrets.ts).
   */
  async rotateSecret(graceMs = ROTATION_GRACE_MS): Promise<{ secret: string; previous_expires_at: number }> {
    const now = Date.now();
    const secret = newSecret();
    const { secrets, previousExpiresAt } = rotateSecrets(this.storedSecrets(), secret, now, graceMs);
    this.setSecrets(secrets);
    return { secret, previous_expires_at: previousExpiresAt };
  }

  /** The webhook was deleted: its filters leave the shards and its storage is erased. */
  async remove(): Promise<void> {
    await this.subscribe([]);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
    this.settingsCache = null;
    this.secretsCache = null;
    this.streakCache = null;
    this.store.migrate();
    this.marks = new DeliveryMarks(this.ctx.storage.sql);
  }

  /** Outbox and failure figures. */
  async state(): Promise<WebhookState> {
    const streak = this.streak();
    return { pending: this.store.pendingCount(), dropped: this.store.getMeta<number>("dropped") ?? 0, consecutive_failures: streak.failures, failing_since: streak.since };
  }

  /** The delivery log, newest first (pending events included). */
  async deliveries(before: number | null, limit: number): Promise<EventRow[]> {
    // A pause the receiver asked for holds every pending event: its next attempt is no earlier.
    const paused = this.delivery.pausedUntil;
    return this.store.page(before, limit).map((r) => ({ ...r, body: "", next_at: r.state === "pending" && r.next_at !== null ? Math.max(r.next_at, paused) : r.next_at }));
  }

  // ---- the topic space ------------------------------------------------------------------------

  /**
   * Messages of the webhook's topic filters, from devices' objects; resolves once their
   * events are in the outbox. A disabled or deleted webhook takes nothing but still resolves,
   * and a full outbox drops its oldest: a refusal would make the device retry the whole batch
   * for its other subscribers too. Only a failed D1 lookup (group or tag filter) rejects.
   */
  async deliverMessages(batch: Message[], from?: DeliveryMark): Promise<void> {
    const s = this.settings;
    if (!s?.enabled) return;
    const { messages, mark } = this.marks.fresh(batch, from);
    const now = Date.now();
    this.take(await this.subscribed(messages.map((m) => eventOf(m, s.events, now)).filter((e): e is WebhookEvent => e !== null), s, now), wholeMark(mark));
  }

  /** The events that pass the webhook's filter (its event types were applied by `eventOf`). */
  private async subscribed(events: WebhookEvent[], s: WebhookSettings, now: number): Promise<WebhookEvent[]> {
    const f = s.filter;
    if (f && "deviceId" in f) return events.filter((e) => e.deviceId === f.deviceId);
    if (!f || events.length === 0) return events;
    const keep = await this.members.members(f, events.map((e) => e.deviceId), now);
    return events.filter((e) => keep.has(e.deviceId));
  }

  /**
   * Events addressed to this webhook by id (a rule's `{type: "webhook", webhookId}` action):
   * taken whatever the webhook's event types and filter, unless it is disabled. One the webhook
   * subscribes to anyway comes through the topic space too, so it is taken from there only: the
   * receiver gets one request per firing, not two with different ids. Says why it took nothing
   * (`deleted`: no such webhook, or no longer), so the rule's action is logged as dropped.
   */
  async deliverEvents(events: WebhookEvent[]): Promise<"taken" | "disabled" | "deleted"> {
    const s = this.settings;
    if (!s) return "deleted";
    if (!s.enabled) return "disabled";
    const twice = new Set(await this.subscribed(events.filter((e) => s.events.includes(e.type)), s, Date.now()));
    this.take(events.filter((e) => !twice.has(e)));
    return "taken";
  }

  /** Puts events in the outbox, and records the outbox marks of the batch they came from in the same write. */
  private take(events: readonly WebhookEvent[], marks: Marks = new Map()): void {
    if (!this.settings?.enabled) return;
    if (events.length === 0) return this.marks.record(marks);
    const rows = events.map((e) => {
      const id = eventId();
      return { id, type: e.type, deviceId: e.deviceId, body: JSON.stringify({ id, ...e }) };
    });
    const now = Date.now();
    const dropped = this.ctx.storage.transactionSync(() => {
      const n = this.store.enqueue(rows, now);
      if (n > 0) this.store.setMeta("dropped", (this.store.getMeta<number>("dropped") ?? 0) + n);
      this.marks.record(marks);
      return n;
    });
    if (dropped > 0) console.warn(`WebhookObject ${this.name}: outbox full, ${dropped} oldest events dropped`);
    this.delivery.pump();
  }

  // ---- delivery -------------------------------------------------------------------------------

  override async alarm(): Promise<void> {
    this.alarms.fired();
    this.delivery.pump();
    await this.delivery.arm();
    await this.alarms.rearm();
  }

  /** Every attempt failed for a day: the webhook stops taking events until re-enabled. */
  private async disable(streak: FailureStreak, lastError: string): Promise<void> {
    const s = this.settings;
    if (!s?.enabled) return;
    const reason = `every delivery failed since ${new Date(streak.since ?? Date.now()).toISOString()} (${streak.failures} attempts; last: ${lastError})`;
    const now = Date.now();
    const off = (this.settingsCache = { ...s, enabled: false, updatedAt: now });
    this.store.setMeta("settings", off);
    if (!(await markDisabled(this.env.DB, s.id, reason, now, s.updatedAt))) {
      // The registry changed since these settings: its word wins, and its settings follow
      // (configure); until they arrive, the webhook stays as it was, unless they already came.
      if (this.settingsCache === off) {
        this.settingsCache = s;
        this.store.setMeta("settings", s);
      }
      return;
    }
    console.warn(`WebhookObject ${this.name}: disabled: ${logText(reason)}`);
    // A PATCH that came in meanwhile (written after this mark) has configured the object already.
    if (this.settingsCache === off) await this.subscribe([]);
  }

  // ---- inside the object ----------------------------------------------------------------------

  /** Moves the shard registrations of `w:<id>` to `filters`. */
  private async subscribe(filters: string[]): Promise<void> {
    const id = this.settings?.id ?? this.store.getMeta<WebhookSettings>("settings")?.id;
    if (!id) return;
    const session = webhookSession(id);
    const before = this.store.getMeta<string[]>("filters") ?? [];
    const gone = before.filter((f) => !filters.includes(f));
    const added = filters.filter((f) => !before.includes(f));
    if (gone.length) await this.shards.unsubscribe(session, gone);
    if (added.length) await this.shards.subscribe(session, added);
    this.store.setMeta("filters", filters);
  }

  private liveSecrets(now: number): Secret[] {
    return signingSecrets(this.storedSecrets(), now);
  }

  private storedSecrets(): Secret[] {
    return (this.secretsCache ??= this.store.getMeta<Secret[]>("secrets") ?? []);
  }

  private setSecrets(secrets: Secret[]): void {
    this.store.setMeta("secrets", secrets);
    this.secretsCache = secrets;
  }

  private streak(): FailureStreak {
    this.streakCache ??= this.store.getMeta<FailureStreak>("streak") ?? { since: null, failures: 0 };
    return this.streakCache;
  }

  /** Stores the failure streak when it changed (a success after a success writes nothing). */
  private setStreak(next: FailureStreak): void {
    const now = this.streak();
    if (now.since === next.since && now.failures === next.failures) return;
    this.store.setMeta("streak", next);
    this.streakCache = next;
  }

  private get name(): string {
    return logText(this.settings?.id ?? this.ctx.id.toString());
  }
}

/** A stable, unique event id (`webhook-id`): `evt_` and 20 random hex digits. */
function eventId(): string {
  return `evt_${[...crypto.getRandomValues(new Uint8Array(10))].map((b) => b.toString(16).padStart(2, "0")).join("")}`;
}
