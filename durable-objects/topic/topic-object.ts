/**
 * TopicObject: one shard of a tenant's topic space (`topics/<tenant>/<n>`, see shards.ts),
 * SQLite-backed. It keeps the subscriptions whose root falls in this shard (and every
 * wildcard-rooted one), the retained messages of its topics, and a durable outbox from which
 * each published batch of QoS 1/2 messages fans out to the subscribers' session objects, one
 * call per session per batch (QoS 0 messages are sent as they come, nothing written, as a
 * device's own topics do). For device-owned topics it only keeps subscriptions and retained messages: the
 * devices publish those themselves, from the subscriptions this shard pushes to them.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import { filtersIntersect, isSharedFilter, matchingFilter, pruneTurns, subscribersOf, type Message } from "../../protocols/mqtt";
import { logText } from "../../protocols/log-text";
import { TopicStore, type ShardSubscription } from "./store";
import { SessionStubs } from "../routing/sessions";
import { Outbox, OutboxDrain } from "../shared/outbox";
import { VolatileDelivery } from "../shared/volatile-delivery";
import { DeliveryMarks, wholeMark, type DeliveryMark } from "../shared/delivery-marks";

const RETRY_MS = 2_000;

/** Whether `filter` (or a shared one's filter) can match a topic of device `deviceId` (its own `devices/…` and `$aws/things/…` topics). */
export function reachesDevice(filter: string, deviceId: string): boolean {
  const f = matchingFilter(filter);
  return filtersIntersect(f, `devices/${deviceId}/#`) || filtersIntersect(f, `$aws/things/${deviceId}/#`);
}

export class TopicObject extends DurableObject<Env> {
  private readonly store: TopicStore;
  private subs: ShardSubscription[] | null = null;
  /** Each shared group's turn (shared-subscriptions.ts). */
  private readonly turns = new Map<string, number>();
  private readonly fanout: OutboxDrain;
  private readonly volatile: VolatileDelivery;
  /** What this shard stored of each publisher's marked (QoS 2) messages. */
  private readonly marks: DeliveryMarks;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new TopicStore(ctx.storage.sql);
    this.store.migrate();
    const sessions = new SessionStubs(env);
    this.fanout = new OutboxDrain(new Outbox(ctx.storage.sql, "outbox"), {
      sessionsFor: (m) => this.sessionsFor(m.topic),
      deliver: (session, messages, mark) => sessions.deliver(session, messages, mark),
      retryLater: () => ctx.storage.setAlarm(Date.now() + RETRY_MS),
      // In the write that pushed the row (same turn): the shard's only alarm is the outbox's.
      resumeLater: (at) => ctx.storage.setAlarm(at),
      failed: (session, err) => console.error(`TopicObject ${this.name}: delivery to ${logText(session)} failed:`, errorText(err)),
    });
    this.volatile = new VolatileDelivery((session, messages) => sessions.deliver(session, messages));
    this.marks = new DeliveryMarks(ctx.storage.sql);
  }

  /** The sessions subscribed to `topic` here, each once (one member of each shared group, in turn; `peek`: see subscribersOf). */
  private sessionsFor(topic: string, peek = false): Map<string, readonly string[]> {
    return subscribersOf(this.cached(), topic, this.turns, { peek });
  }

  private cached(): ShardSubscription[] {
    if (this.subs) return this.subs;
    this.subs = this.store.subscriptions();
    pruneTurns(this.turns, this.subs);
    return this.subs;
  }

  /**
   * Registers a session's filters and returns the retained messages each new one matches.
   * Device objects that cache subscriptions for their topics are told before this resolves,
   * so the subscription is in force once the caller sends its SUBACK.
   */
  async subscribe(session: string, filters: string[]): Promise<Record<string, Message[]>> {
    const added = filters.filter((f) => this.store.addSubscription(session, f));
    this.subs = null;
    await this.pushToListeners(added);
    const now = Date.now();
    const retained: Record<string, Message[]> = {};
    // A shared subscription gets no retained messages (v5 §4.8.2).
    for (const f of filters) retained[f] = isSharedFilter(f) ? [] : this.store.retainedMatching(f, now);
    return retained;
  }

  /** Drops the given filters of a session, or all of them (`null`: the session ended). */
  async unsubscribe(session: string, filters: string[] | null): Promise<void> {
    const removed = filters === null ? this.store.removeSubscriptions(session, null) : filters.flatMap((f) => this.store.removeSubscriptions(session, f));
    this.subs = null;
    await this.pushToListeners(removed);
  }

  /** Unexpired retained messages matching a filter. */
  async retained(filter: string): Promise<Message[]> {
    return this.store.retainedMatching(filter, Date.now());
  }

  /**
   * A device object that publishes its own topics asks which sessions want them, and is told
   * again whenever that changes (until it is deleted).
   */
  async listen(deviceId: string): Promise<ShardSubscription[]> {
    this.store.addListener(deviceId);
    return this.cached().filter((s) => reachesDevice(s.filter, deviceId));
  }

  /**
   * The device was deleted: no more pushes to it, and what it left retained on its own topics
   * goes with it (a device created again with its id must not seem to have published it).
   */
  async deviceDeleted(deviceId: string): Promise<void> {
    this.store.removeListener(deviceId);
    this.store.clearRetained([`devices/${deviceId}`, `$aws/things/${deviceId}`]);
  }

  /** The channel was deleted: what was left retained on it goes too (a channel made again with its id starts empty). */
  async channelDeleted(channelId: string): Promise<void> {
    this.store.clearRetained([`channels/${channelId}`]);
  }

  private async pushToListeners(changed: string[]): Promise<void> {
    if (changed.length === 0) return;
    const subs = this.cached();
    const calls: Promise<void>[] = [];
    for (const deviceId of this.store.listeners()) {
      if (!changed.some((f) => reachesDevice(f, deviceId))) continue;
      const relevant = subs.filter((s) => reachesDevice(s.filter, deviceId));
      const stub = this.env.DEVICE.get(this.env.DEVICE.idFromName(deviceId));
      calls.push(stub.routesChanged(relevant).catch((err: unknown) => console.error(`TopicObject ${this.name}: push to ${logText(deviceId)} failed:`, errorText(err))));
    }
    await Promise.all(calls);
  }

  private get name(): string {
    return logText(this.ctx.id.name ?? this.ctx.id.toString());
  }

  /**
   * Takes a batch durably: retained messages are updated (an empty retained payload clears one
   * [MQTT-3.3.1-6]) and the messages that have subscribers are written to the outbox before
   * this resolves, so the publishers' PUBACKs follow a durable write. Fan-out runs after, from
   * the outbox (resumed by the alarm after an eviction); a publisher never waits on
   * subscribers, except past the high-water mark, where its acknowledgements wait for the
   * fan-out to catch up (bounded work, no starved subscriber). `fanOut: false` (a device's
   * own retained message) only stores the retained copy: devices deliver their topics themselves.
   * `from`: the batch's mark (a publisher's QoS 2 messages, device/mqtt-qos2.ts): what this shard
   * stored before is skipped, and the mark is recorded in the write that stores the rest.
   */
  async publish(batch: Message[], fanOut = true, from?: DeliveryMark): Promise<void> {
    const { messages, mark } = this.marks.fresh(batch, from);
    for (const m of messages) if (m.retain) this.store.setRetained(m);
    if (!fanOut) {
      if (mark) this.marks.record(wholeMark(mark));
      return;
    }
    // QoS 0: at most once, sent as it comes (nothing written); QoS 1/2 through the outbox.
    const durable = this.volatile.route(messages, (topic, peek) => this.sessionsFor(topic, peek));
    const pushed = this.fanout.push(durable); // the rows are written now; the promise is backpressure
    // After the rows, in the same write (a mark without its messages would lose them).
    if (mark) this.marks.record(wholeMark(mark));
    await pushed;
  }

  override async alarm(): Promise<void> {
    await this.fanout.resume();
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
