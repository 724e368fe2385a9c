/**
 * A topic shard's fan-out inside workerd: QoS 1/2 messages are written to its outbox before the
 * publish resolves (the publisher's PUBACK follows that write), with the alarm that resumes the
 * outbox after a crash; QoS 0 ones are sent as they come and nothing is written for them (at
 * most once), as a device's own topics do.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Message } from "../../protocols/mqtt";
import { lastSequence } from "../../durable-objects/shared/sqlite-sequence";
import { deviceSession } from "../../durable-objects/routing/sessions";

const message = (topic: string, qos: 0 | 1, text: string): Message => ({ topic, payload: new TextEncoder().encode(text), qos, retain: false });

describe("TopicObject fan-out", () => {
  it("writes QoS 1 messages to its outbox and QoS 0 ones nowhere", async () => {
    const shard = env.TOPIC.get(env.TOPIC.idFromName("topics/default/test-qos"));
    await runInDurableObject(shard, async (o, state) => {
      await o.subscribe(deviceSession("tq-sub"), ["channels/tq/messages/#"]);
      await o.publish([message("channels/tq/messages/a", 0, "zero"), message("channels/tq/messages/b", 0, "zero again")]);
      // Before: every message with a subscriber took an outbox row (and a commit), QoS 0 too.
      expect(lastSequence(state.storage.sql, "outbox")).toBe(0);
      await o.publish([message("channels/tq/messages/c", 1, "one")]);
      expect(lastSequence(state.storage.sql, "outbox")).toBe(1);
      // No subscriber, no row, whatever the QoS.
      await o.publish([message("channels/elsewhere/messages/d", 1, "nobody")]);
      expect(lastSequence(state.storage.sql, "outbox")).toBe(1);
    });
  });

  it("arms its alarm (what resumes its outbox after a crash) in the write of the first QoS 1 message", async () => {
    const shard = env.TOPIC.get(env.TOPIC.idFromName("topics/default/test-resume"));
    await runInDurableObject(shard, async (o, state) => {
      await o.subscribe(deviceSession("tr-sub"), ["channels/tr/messages/#"]);
      await o.publish([message("channels/tr/messages/a", 0, "zero")]);
      // Before: nothing woke a shard whose outbox a crash left full; it waited for the next publish.
      expect(await state.storage.getAlarm()).toBeNull();
      await o.publish([message("channels/tr/messages/b", 1, "one")]);
      expect(await state.storage.getAlarm()).not.toBeNull();
    });
  });
});
