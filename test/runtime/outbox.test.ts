/**
 * The durable outbox and its drain inside workerd: rows every session took are deleted with the
 * next write (no commit of their own), or a second later without one; nothing is lost, and a
 * drain started over the same table (as after a restart) sends again only what was not deleted.
 */
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { Outbox, OutboxDrain, type DrainHost } from "../../durable-objects/shared/outbox";
import type { Message } from "../../protocols/mqtt";

const message = (n: number): Message => ({ topic: `t/${n}`, payload: new TextEncoder().encode(String(n)), qos: 1, retain: false });

function host(got: string[]): DrainHost {
  return {
    sessionsFor: () => ["s"],
    deliver: async (_s, messages) => void got.push(...messages.map((m) => m.topic)),
    retryLater: async () => undefined,
    failed: () => undefined,
  };
}

/** Waits for `check`, then one more turn: the drain records a delivery after the call returns. */
const until = async (check: () => boolean): Promise<void> => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(check()).toBe(true);
  await new Promise((r) => setTimeout(r, 10));
};

describe("OutboxDrain", () => {
  it("deletes delivered rows with the next write, or a second later, and a restarted drain resends only the rest", async () => {
    const result = await inDeviceObject("outbox-settle", async (state) => {
      const outbox = new Outbox(state.storage.sql, "test_outbox");
      const got: string[] = [];
      const drain = new OutboxDrain(outbox, host(got));
      await drain.push([message(1), message(2), message(3)]);
      await until(() => got.length === 3);
      const keptAfterDelivery = outbox.size();
      await drain.push([message(4)]); // deletes 1..3 in this write
      const afterNextWrite = outbox.size();
      await until(() => got.length === 4);
      // A restart now: the new drain knows nothing of the delivery of 4, and sends it again.
      const again: string[] = [];
      await new OutboxDrain(outbox, host(again)).drain();
      await until(() => outbox.size() === 0); // the first drain's timer deletes 4
      return { got, again, keptAfterDelivery, afterNextWrite };
    });
    expect(result.got).toEqual(["t/1", "t/2", "t/3", "t/4"]);
    expect(result.keptAfterDelivery).toBe(3);
    expect(result.afterNextWrite).toBe(1);
    expect(result.again).toEqual(["t/4"]);
  });

  it("sends nothing of a rolled-back write, never reuses its numbers, and sends payloads as their own bytes", async () => {
    const result = await inDeviceObject("outbox-rollback", async (state) => {
      const outbox = new Outbox(state.storage.sql, "rollback_outbox");
      const got: Message[] = [];
      const drain = new OutboxDrain(outbox, { ...host([]), deliver: async (_s, messages) => void got.push(...messages) });
      await drain.push([message(1)]);
      await until(() => got.length === 1);
      // The drain now sends from what push wrote, without reading the table back.
      expect(() =>
        state.storage.transactionSync(() => {
          void drain.push([message(2)]);
          throw new Error("after the write");
        }),
      ).toThrow("after the write");
      drain.rolledBack();
      // A payload that is a view into a larger frame goes out as its own bytes.
      const frame = new TextEncoder().encode("xx3yy");
      await drain.push([{ ...message(3), payload: frame.subarray(2, 3) }]);
      await until(() => got.length === 2);
      const seqs = state.storage.sql.exec<{ seq: number }>("SELECT seq FROM rollback_outbox ORDER BY seq").toArray().map((r) => r.seq);
      const again: string[] = [];
      await new OutboxDrain(outbox, host(again)).drain();
      return { topics: got.map((m) => m.topic), payload3: [...got[1]!.payload], buffer3: got[1]!.payload.buffer.byteLength, seqs, again };
    });
    expect(result.topics).toEqual(["t/1", "t/3"]);
    expect(result.payload3).toEqual([..."3"].map((c) => c.charCodeAt(0)));
    expect(result.buffer3).toBe(1);
    // Row 1 deleted with the write of 3; 2 was rolled back and its number is not given again.
    expect(result.seqs).toEqual([3]);
    expect(result.again).toEqual(["t/3"]);
  });
});
