/**
 * ChannelObject: one per channel (`idFromName(channelId)`), SQLite-backed. It keeps who is
 * subscribed to what under `channels/<id>/messages/...` and the retained message per topic,
 * and fans each published message out to the subscribers' DeviceObjects.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import { ChannelStore } from "./store";
import { subscribersFor, type Subscriber } from "./fanout";
import { logText, logError } from "../../protocols/log-text";

/** Result of a publish: how many subscribers the message is going to. */
export interface PublishResult {
  delivered: number;
  failed: number;
}

/** Outbox messages fanned out per round trip to each subscriber. */
const BATCH = 128;
const GATHER_MS = 10;
const HIGH_WATER = 1024;
const LOW_WATER = 256;

export class ChannelObject extends DurableObject<Env> {
  private readonly store: ChannelStore;
  private subscribers: Subscriber[] | null = null;
  private draining = false;
  private alarmSet = false;
  /** Messages in the outbox (null until first counted) and publishers held back by it. */
  private backlog: number | null = null;
  private readonly waiting: (() => void)[] = [];

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.store = new ChannelStore(ctx.storage.sql);
    this.store.migrate();
  }

  private cached(): Subscriber[] {
    this.subscribers ??= this.store.subscribers();
    return this.subscribers;
  }

  /** Records a subscription and returns the retained messages it matches (to send at once). */
  async subscribe(deviceId: string, filter: string): Promise<Message[]> {
    this.store.addSubscriber(deviceId, filter);
    this.subscribers = null;
    return this.store.retainedMatching(filter);
  }

  /** Drops one subscription of a device, or all of them when `filter` is null. */
  async unsubscribe(deviceId: string, filter: string | null): Promise<void> {
    this.store.removeSubscriber(deviceId, filter);
    this.subscribers = null;
  }

  /** Retained messages matching a filter. */
  async retained(filter: string): Promise<Message[]> {
    return this.store.retainedMatching(filter);
  }

  /**
   * Takes a message durably: the retained message is updated (an empty retained payload clears
   * it [MQTT-3.3.1-6]) and the message is written to the outbox before this resolves, so the
   * publisher's PUBACK follows a durable write. Fan-out to the subscribers runs after, in
   * order, from the outbox (resumed by the alarm if the object is evicted) — the publisher
   * never waits on subscribers, so a publisher subscribed to its own topic cannot deadlock.
   */
  async publish(message: Message): Promise<PublishResult> {
    if (message.retain) this.store.setRetained(message);
    const targets = subscribersFor(this.cached(), message.topic).length;
    if (targets > 0) {
      this.store.enqueue(message);
      // The alarm resumes a drain cut short by eviction; one is enough while the outbox is non-empty.
      if (!this.alarmSet) {
        this.alarmSet = true;
        await this.ctx.storage.setAlarm(Date.now() + 5_000);
      }
      this.backlog = (this.backlog ?? this.store.outboxSize() - 1) + 1;
      void this.drain();
      // Backpressure: past the high-water mark the publisher's acknowledgement waits for the
      // fan-out to catch up, so a burst cannot starve the subscribers (bounded work).
      if (this.backlog > HIGH_WATER) await new Promise<void>((resolve) => this.waiting.push(resolve));
    }
    return { delivered: targets, failed: 0 };
  }

  override async alarm(): Promise<void> {
    await this.drain();
  }

  /**
   * Delivers outbox messages oldest first, in batches: each subscriber gets one call per batch
   * with the messages it matches, in order. A batch leaves the outbox once every subscriber
   * took its part; on a failure it stays for the alarm to retry (at least once).
   */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      for (let batch = this.store.oldest(BATCH); batch.length > 0; batch = this.store.oldest(BATCH)) {
        if (batch.length < BATCH) {
          // Let a batch gather for a few ms: fewer, larger calls leave each subscriber's object
          // room to handle its client's PUBACKs between them, instead of one call per message.
          await new Promise((r) => setTimeout(r, GATHER_MS));
          batch = this.store.oldest(BATCH);
        }
        const perDevice = new Map<string, Message[]>();
        for (const { message } of batch) {
          for (const deviceId of subscribersFor(this.cached(), message.topic)) perDevice.set(deviceId, [...(perDevice.get(deviceId) ?? []), message]);
        }
        const results = await Promise.all([...perDevice].map(([deviceId, messages]) => this.deliverTo(deviceId, messages)));
        if (results.some((ok) => !ok)) {
          await this.ctx.storage.setAlarm(Date.now() + 5_000);
          this.alarmSet = true;
          return;
        }
        this.store.dequeueThrough(batch[batch.length - 1]!.seq);
        this.backlog = this.store.outboxSize();
        if (this.backlog <= LOW_WATER) for (const resolve of this.waiting.splice(0)) resolve();
      }
      await this.ctx.storage.deleteAlarm();
      this.alarmSet = false;
    } finally {
      this.draining = false;
    }
  }

  private async deliverTo(deviceId: string, messages: Message[]): Promise<boolean> {
    const stub = this.env.DEVICE.get(this.env.DEVICE.idFromName(deviceId));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await stub.deliverMessages(messages);
        return true;
      } catch (err) {
        console.error(`ChannelObject ${logText(this.ctx.id.name ?? "")}: delivery to ${logText(deviceId)} failed: ${logError(err)}`);
      }
    }
    return false;
  }
}
