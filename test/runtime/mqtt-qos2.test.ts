/**
 * QoS 2 messages a client publishes, stored at most once across a restart inside workerd: each
 * packet id the session takes gets the next number of the session's sequence (kept across a
 * restart, new with a re-made object), a receiver in the same object claims it once (its resends
 * are then only acknowledged), a topic shard skips a marked message it has, and a released id is
 * forgotten.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { Qos2Receipts } from "../../durable-objects/device/mqtt-qos2";
import { DeviceStore } from "../../durable-objects/device/store";
import { lastSequence } from "../../durable-objects/shared/sqlite-sequence";
import { deviceSession } from "../../durable-objects/routing/sessions";
import type { Message } from "../../protocols/mqtt";

describe("QoS 2 receipts", () => {
  it("numbers each taken id, claims it once, and routes a resend again only while unrouted", async () => {
    const out = await inDeviceObject("qos2-receipts", (state) => {
      const sql = state.storage.sql;
      const receipts = new Qos2Receipts(sql, new DeviceStore(sql));
      const seven = receipts.follow([], [7]).get(7)!;
      const nine = receipts.follow([7], [7, 9]).get(9)!;
      // A restart before anything was routed: both resends go again, with the marks they had.
      const restarted = new Qos2Receipts(sql, new DeviceStore(sql));
      const resentSeven = restarted.resent(7);
      const resentNine = restarted.resent(9);
      // A receiver in the object stores seven (its claim is in its write); a second claim, from the
      // original routing that was still on its way, is refused.
      const claims = [resentSeven!.claim(), seven.claim()];
      // Claimed here, seven's resends are only acknowledged; nine (for another object, which skips
      // what it has by the mark) is routed again with the same mark.
      const afterRouting = { seven: restarted.resent(7), nine: restarted.resent(9)?.mark };
      // PUBREL of seven: forgotten; a new seven is a new message with the next number.
      restarted.follow([7, 9], [9]);
      const gone = restarted.resent(7);
      const newSeven = restarted.follow([9], [9, 7]).get(7)!;
      // The object's storage deleted (the device re-made): a new sequence, which no receiver's marks match.
      sql.exec(`DELETE FROM meta WHERE key = 'mqtt_qos2'`);
      const remade = new Qos2Receipts(sql, new DeviceStore(sql)).follow([], [1]).get(1)!;
      return { seven: seven.mark, nine: nine.mark, resentSeven: resentSeven?.mark, resentNine: resentNine?.mark, claims, afterRouting, gone, newSeven: newSeven.mark, remade: remade.mark };
    });
    expect(out.seven.seqs).toEqual([1]);
    expect(out.nine).toEqual({ from: out.seven.from, seqs: [2] });
    expect(out.resentSeven).toEqual(out.seven);
    expect(out.resentNine).toEqual(out.nine);
    expect(out.claims).toEqual([true, false]);
    expect(out.afterRouting).toEqual({ seven: null, nine: out.nine });
    expect(out.gone).toBeNull();
    expect(out.newSeven).toEqual({ from: out.seven.from, seqs: [3] });
    expect(out.remade.from).not.toBe(out.seven.from);
  });

  it("a local write that throws leaves the message unclaimed: the resend stores it, a later one is only acknowledged", async () => {
    const out = await inDeviceObject("qos2-store-once", (state) => {
      const sql = state.storage.sql;
      const receipts = new Qos2Receipts(sql, new DeviceStore(sql));
      const first = receipts.follow([], [5]).get(5)!;
      const writes: string[] = [];
      let threw = false;
      try {
        first.storeOnce(() => {
          throw new Error("shadow write failed");
        });
      } catch {
        threw = true;
      }
      const afterThrow = receipts.resent(5);
      afterThrow!.storeOnce(() => writes.push("resend"));
      const afterStore = receipts.resent(5);
      first.storeOnce(() => writes.push("late first"));
      return { threw, unclaimed: afterThrow !== null, writes, afterStore };
    });
    expect(out).toEqual({ threw: true, unclaimed: true, writes: ["resend"], afterStore: null });
  });

  it("a topic shard stores a publisher's marked message once, however often it comes", async () => {
    const shard = env.TOPIC.get(env.TOPIC.idFromName("topics/default/test-qos2"));
    const m = (text: string): Message => ({ topic: "channels/q2/messages/a", payload: new TextEncoder().encode(text), qos: 2, retain: false });
    await runInDurableObject(shard, async (o, state) => {
      await o.subscribe(deviceSession("q2-sub"), ["channels/q2/messages/#"]);
      await o.publish([m("first")], true, { from: "session-a", seqs: [1] });
      // Before: a resend after a restart cut the publisher's record off was a second message.
      await o.publish([m("first")], true, { from: "session-a", seqs: [1] });
      expect(lastSequence(state.storage.sql, "outbox")).toBe(1);
      await o.publish([m("second")], true, { from: "session-a", seqs: [2] });
      await o.publish([m("other")], true, { from: "session-b", seqs: [1] });
      expect(lastSequence(state.storage.sql, "outbox")).toBe(3);
    });
  });
});
