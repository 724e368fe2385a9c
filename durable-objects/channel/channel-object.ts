/**
 * ChannelObject: one per channel (`idFromName(channelId)`), SQLite-backed. It keeps who is
 * subscribed to what under `channels/<id>/messages/...` and the retained message per topic,
 * and fans each published message out to the subscribers' DeviceObjects.
 */
import { DurableObject } from "cloudflare:workers";
import type { Env } from "../../workers/env";
import type { Message } from "../../protocols/mqtt";
import { ChannelStore } from "./store";
import { subscribersFor, type Subscriber } from "./fanout";

/** Result of a publish: how many subscribers took the message, and how many could not be reached. */
export interface PublishResult {
  delivered: number;
  failed: number;
}

export class ChannelObject extends DurableObject<Env> {
  private readonly store: ChannelStore;
  private subscribers: Subscriber[] | null = null;

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
   * Stores the retained message (an empty retained payload clears it [MQTT-3.3.1-6]) and
   * delivers the message to every subscribed device; resolves once each subscriber's object
   * has stored it (or failed three times).
   */
  async publish(message: Message): Promise<PublishResult> {
    if (message.retain) this.store.setRetained(message);
    const targets = subscribersFor(this.cached(), message.topic);
    const results = await Promise.all(targets.map((deviceId) => this.deliverTo(deviceId, message)));
    const failed = results.filter((ok) => !ok).length;
    return { delivered: results.length - failed, failed };
  }

  private async deliverTo(deviceId: string, message: Message): Promise<boolean> {
    const stub = this.env.DEVICE.get(this.env.DEVICE.idFromName(deviceId));
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await stub.deliverMessage(message);
        return true;
      } catch (err) {
        console.error(`ChannelObject ${this.ctx.id.name ?? ""}: delivery to ${deviceId} failed:`, err instanceof Error ? err.message : String(err));
      }
    }
    return false;
  }
}
