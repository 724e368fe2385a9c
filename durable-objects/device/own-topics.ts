/**
 * The device's object as the publisher of the device's own topics (`devices/<id>/…` and
 * `$aws/things/<id>/…`): telemetry as the device sent it, shadow responses and events,
 * messages others publish to the device. The sessions that want them are kept in the
 * device's topic shard; this object caches that list (fetched once per object life, then kept
 * current by the shard's pushes, which land before a SUBACK is sent) and delivers straight to
 * those sessions — no shard sits on a message's path. QoS 1/2 messages go through a durable
 * outbox written in the same transaction as the write they come from; QoS 0 ones are sent once.
 */
import type { Env } from "../env";
import { pruneTurns, subscribersOf, type Message } from "../../protocols/mqtt";
import { logText } from "../../protocols/log-text";
import type { ShardSubscription } from "../topic/store";
import { Outbox, OutboxDrain } from "../shared/outbox";
import { VolatileDelivery } from "../shared/volatile-delivery";
import { SessionStubs, deviceSession } from "../routing/sessions";
import type { ShardClient } from "../routing/shard-client";
import type { AlarmScheduler } from "../shared/alarms";

const RETRY_MS = 2_000;

export class OwnTopics {
  private subs: ShardSubscription[] | null = null;
  /** Each shared group's turn (shared-subscriptions.ts). */
  private readonly turns = new Map<string, number>();
  private loading: Promise<void> | null = null;
  readonly drain: OutboxDrain;
  private readonly sessions: SessionStubs;
  private readonly volatile: VolatileDelivery;

  constructor(
    env: Env,
    sql: SqlStorage,
    private readonly deviceId: () => string,
    private readonly shards: ShardClient,
    alarms: AlarmScheduler,
  ) {
    this.sessions = new SessionStubs(env);
    this.volatile = new VolatileDelivery((session, messages) => this.sessions.deliver(session, messages));
    this.drain = new OutboxDrain(new Outbox(sql, "fanout_outbox"), {
      sessionsFor: (m) => this.sessionsFor(m.topic),
      deliver: (session, messages, mark) => this.sessions.deliver(session, messages, mark),
      retryLater: () => alarms.set("fanout", Date.now() + RETRY_MS),
      // A device that only posts over HTTP has no other alarm: without this, rows a crash left
      // waited for the device's next request.
      resumeLater: (at) => alarms.set("outbox", at),
      failed: (session, err) => console.error(`DeviceObject ${logText(deviceId())}: delivery to ${logText(session)} failed:`, err instanceof Error ? err.message : String(err)),
    });
    // Rows a crash or a restart left behind go out now that the object runs again, whatever woke it.
    if (this.drain.outbox.size() > 0) this.ready().catch((err: unknown) => console.error(`DeviceObject ${logText(deviceId())}: resuming its outbox failed:`, err instanceof Error ? err.message : String(err)));
  }

  /** Whether the subscriber list is here (then `ready()` has nothing to wait for). */
  get loaded(): boolean {
    return this.subs !== null;
  }

  /**
   * Loads the subscriber list once per object life (and registers for its updates), then resumes
   * the outbox: rows a crash or a restart left undelivered go out as soon as the object runs again
   * (the device reconnecting, any request for it, its presence alarm), not only with its next publish.
   * (The constructor calls this when there are such rows.)
   */
  ready(): Promise<void> {
    if (this.subs) return Promise.resolve();
    this.loading ??= this.shards
      .deviceShard(this.deviceId())
      .listen(this.deviceId())
      .then((subs) => {
        this.subs ??= subs;
        if (this.drain.outbox.size() > 0) void this.drain.drain();
      })
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /** The shard's push: the sessions subscribed to this device's topics changed. */
  changed(subs: ShardSubscription[]): void {
    this.subs = subs;
    pruneTurns(this.turns, subs);
  }

  /**
   * Sessions other than the device's own that want `topic`, each once: one member of each shared
   * group in turn. The device's own session serves itself (its object delivers to it directly), so
   * it is no member of a shared group on its own topics. `peek`: see subscribersOf.
   */
  sessionsFor(topic: string, peek = false): Map<string, readonly string[]> {
    return subscribersOf(this.subs ?? [], topic, this.turns, { except: deviceSession(this.deviceId()), peek });
  }

  /**
   * Publishes messages on the device's own topics to the sessions that want them. Call inside
   * the write that produced them (same event or transaction): QoS 1/2 copies are written to the
   * outbox there, so the acknowledgement that follows that write cannot lose them.
   */
  publish(messages: readonly Message[]): void {
    if (!this.subs || this.subs.length === 0) return;
    const durable = this.volatile.route(messages, (topic, peek) => this.sessionsFor(topic, peek));
    if (durable.length) void this.drain.push(durable);
  }

  /** Resumes the outbox after a crash, an eviction or a failed delivery (from the alarm). */
  async onAlarm(): Promise<void> {
    await this.ready();
    await this.drain.resume();
  }
}
