/**
 * A session object's view of the topic shards: where its publishes go (batched per shard, one
 * call per batch), where its subscriptions are registered (before the SUBACK), and where
 * retained messages come from.
 */
import type { Env } from "../env";
import { numberVar } from "../vars";
import type { Message } from "../../protocols/mqtt";
import type { TopicObject } from "../topic/topic-object";
import { shardName, shardOf, shardsOfFilter, topicClass, type Tenant } from "../topic/shards";
import { GroupCommit } from "../shared/group-commit";
import type { DeliveryMark } from "../shared/delivery-marks";
import { MarkedBatches } from "../shared/marked-batches";

/** Shards per tenant (var TOPIC_SHARDS, default 16); never change it on a live deployment. */
export function topicShards(env: Env): number {
  return numberVar(env, "TOPIC_SHARDS");
}

export class ShardClient {
  private readonly stubs = new Map<number, DurableObjectStub<TopicObject>>();
  private readonly batches = new Map<number, GroupCommit<Message>>();
  /** A session's marked (QoS 2) messages, per shard. */
  private readonly marked = new MarkedBatches<number>((n, messages, mark) => this.stub(n).publish(messages, true, mark));
  /** Retained copies of a device's own messages, per shard (see {@link retain}). */
  private readonly retains = new Map<number, GroupCommit<Message>>();
  readonly shards: number;

  constructor(
    private readonly env: Env,
    readonly tenant: Tenant,
  ) {
    this.shards = topicShards(env);
  }

  /** The stub of shard `n` (one per shard: calls through one stub arrive in order). */
  stub(n: number): DurableObjectStub<TopicObject> {
    let s = this.stubs.get(n);
    if (!s) this.stubs.set(n, (s = this.env.TOPIC.get(this.env.TOPIC.idFromName(shardName(this.tenant, n)))));
    return s;
  }

  /** The shard that keeps a device's subscriptions and retained messages. */
  deviceShard(deviceId: string): DurableObjectStub<TopicObject> {
    return this.stub(shardOf({ kind: "device", deviceId }, this.shards));
  }

  /** The shard that keeps a channel's retained messages. */
  channelShard(channelId: string): DurableObjectStub<TopicObject> {
    return this.stub(shardOf({ kind: "shared", root: `channels/${channelId}` }, this.shards));
  }

  /**
   * Publishes a message on a shared topic (a channel or the open topic space); messages to one
   * shard in one turn go in one call (GroupCommit). Resolves once the shard holds it durably.
   * A marked message (a QoS 2 one, stored at most once: device/mqtt-qos2.ts) goes in a batch of
   * marked ones; the shard skips what it has already.
   */
  publish(m: Message, mark?: DeliveryMark): Promise<void> {
    if (!mark) return this.toShard(m, "shared", this.batches, true);
    const n = this.shardFor(m, "shared");
    return n instanceof Error ? Promise.reject(n) : this.marked.add(n, m, mark);
  }

  /**
   * Stores the retained copy of a message on a device's own topic (its telemetry, say) in the
   * device's shard, where subscriptions look retained messages up; the device's object delivers
   * the message itself. Resolves once the shard holds it durably [MQTT-3.3.1-5].
   */
  retain(m: Message): Promise<void> {
    return this.toShard(m, "device", this.retains, false);
  }

  /** Adds `m` to its shard's batch in `batches` (one call per shard per turn); `fanOut` false: retained copy only. */
  private toShard(m: Message, kind: "shared" | "device", batches: Map<number, GroupCommit<Message>>, fanOut: boolean): Promise<void> {
    const n = this.shardFor(m, kind);
    if (n instanceof Error) return Promise.reject(n);
    let batch = batches.get(n);
    if (!batch) batches.set(n, (batch = new GroupCommit((items) => this.stub(n).publish(items, fanOut))));
    return batch.add([m]);
  }

  /** The shard of `m`'s topic, which must be of `kind` (else the error to reject with). */
  private shardFor(m: Message, kind: "shared" | "device"): number | Error {
    const c = topicClass(m.topic);
    return c.kind === kind ? shardOf(c, this.shards) : new Error(`not a ${kind} topic: ${m.topic}`);
  }

  /** Registers a session's filters in every shard they can match; the retained messages of each. */
  async subscribe(session: string, filters: readonly string[]): Promise<Map<string, Message[]>> {
    const retained = new Map<string, Message[]>(filters.map((f) => [f, []]));
    const results = await Promise.all([...this.byShard(filters)].map(([n, fs]) => this.stub(n).subscribe(session, fs)));
    for (const r of results) for (const [f, ms] of Object.entries(r)) retained.get(f)?.push(...(ms as Message[]));
    return retained;
  }

  /** Drops a session's filters from their shards. */
  async unsubscribe(session: string, filters: readonly string[]): Promise<void> {
    await Promise.all([...this.byShard(filters)].map(([n, fs]) => this.stub(n).unsubscribe(session, fs)));
  }

  /** Retained messages matching a filter, from every shard it can match. */
  async retained(filter: string): Promise<Message[]> {
    const lists = await Promise.all(shardsOfFilter(filter, this.shards).map((n) => this.stub(n).retained(filter)));
    return lists.flat() as Message[];
  }

  private byShard(filters: readonly string[]): Map<number, string[]> {
    const out = new Map<number, string[]>();
    for (const f of filters) {
      for (const n of shardsOfFilter(f, this.shards)) {
        const list = out.get(n);
        if (list) list.push(f);
        else out.set(n, [f]);
      }
    }
    return out;
  }
}
