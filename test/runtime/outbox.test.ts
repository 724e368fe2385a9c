/**
 * The durable outbox and its drain inside workerd: rows every session took are deleted with the
 * next write (no commit of their own), or a second later without one; nothing is lost, and a
 * drain started over the same table (as after a restart) sends again only what was not deleted.
 * Each session has a lane of its own: a slow or failing one holds up only itself, up to the
 * high-water mark.
 */
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { Outbox, OutboxDrain, type DrainHost } from "../../durable-objects/shared/outbox";
import type { Message } from "../../protocols/mqtt";

const message = (n: number): Message => ({ topic: `t/${n}`, payload: new TextEncoder().encode(String(n)), qos: 1, retain: false });

function host(got: string[]): DrainHost {
  return {
    sessionsFor: () => [["s", []]] as [string, string[]][],
    deliver: async (_s, messages) => void got.push(...messages.map((m) => m.topic)),
    retryLater: async () => undefined,
    resumeLater: async () => undefined,
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

  it("lets other sessions run ahead of a slow one, up to the high-water mark, and deletes a row only once all took it", async () => {
    const result = await inDeviceObject("outbox-lanes", async (state) => {
      const outbox = new Outbox(state.storage.sql, "lanes_outbox");
      const fast: string[] = [];
      const slow: string[] = [];
      const slowCalls: (() => void)[] = [];
      const drain = new OutboxDrain(
        outbox,
        {
          ...host([]),
          sessionsFor: () => [["slow", []], ["fast", []]] as [string, string[]][],
          deliver: async (session, messages) => {
            if (session === "fast") return void fast.push(...messages.map((m) => m.topic));
            await new Promise<void>((resolve) => slowCalls.push(resolve));
            slow.push(...messages.map((m) => m.topic));
          },
        },
        { batch: 2, highWater: 6, lowWater: 1 },
      );
      void drain.push([message(1), message(2)]);
      await until(() => fast.length === 2 && slowCalls.length === 1);
      void drain.push([message(3), message(4)]);
      // The slow session has not taken its first batch; the fast one gets the second anyway.
      await until(() => fast.length === 4);
      let released = false;
      const held = drain.push([message(5), message(6), message(7)]).then(() => (released = true));
      // 7 rows wait for the slow session, past the high-water mark of 6: the fast lane stops at 6, the publisher waits.
      await until(() => fast.length === 6);
      const whileSlow = { fast: [...fast], slow: [...slow], stored: outbox.size(), released };
      while (slow.length < 7) {
        slowCalls.splice(0).forEach((f) => f());
        await new Promise((r) => setTimeout(r, 5));
      }
      await held;
      await until(() => fast.length === 7);
      await drain.push([message(8)]); // deletes 1..7 with this write
      await until(() => fast.length === 8 && slowCalls.length > 0);
      slowCalls.splice(0).forEach((f) => f());
      await drain.drain();
      return { whileSlow, fast, slow, left: outbox.oldest(10).map((e) => e.message.topic) };
    });
    const topics = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `t/${from + i}`);
    expect(result.whileSlow).toEqual({ fast: topics(1, 6), slow: [], stored: 7, released: false });
    expect(result.fast).toEqual(topics(1, 8));
    expect(result.slow).toEqual(topics(1, 8));
    expect(result.left).toEqual(["t/8"]);
  });

  it("arms the resume alarm with its first row, and again only once the alarm ran", async () => {
    const armed = await inDeviceObject("outbox-resume", async (state) => {
      const outbox = new Outbox(state.storage.sql, "resume_outbox");
      const armed: number[] = [];
      const drain = new OutboxDrain(outbox, { ...host([]), resumeLater: async (at) => void armed.push(at) });
      await drain.push([message(1)]);
      await drain.push([message(2)]);
      const once = armed.length;
      await drain.resume(); // what the alarm does
      await drain.push([message(3)]);
      return { once, after: armed.length };
    });
    expect(armed).toEqual({ once: 1, after: 2 });
  });

  it("retries a failed session from the alarm while the others go on", async () => {
    const result = await inDeviceObject("outbox-failed-lane", async (state) => {
      const outbox = new Outbox(state.storage.sql, "failed_outbox");
      const ok: string[] = [];
      const bad: string[] = [];
      let fail = true;
      let retries = 0;
      const drain = new OutboxDrain(outbox, {
        ...host([]),
        sessionsFor: () => [["bad", []], ["ok", []]] as [string, string[]][],
        deliver: async (session, messages) => {
          if (session === "bad" && fail) throw new Error("unreachable");
          (session === "bad" ? bad : ok).push(...messages.map((m) => m.topic));
        },
        retryLater: async () => void retries++,
      });
      await drain.push([message(1)]);
      await until(() => ok.length === 1 && retries === 1);
      await drain.push([message(2)]);
      await until(() => ok.length === 2);
      const before = { ok: [...ok], bad: [...bad], stored: outbox.size() };
      fail = false;
      await drain.drain(); // what the alarm does
      return { before, ok, bad, retries };
    });
    expect(result.before).toEqual({ ok: ["t/1", "t/2"], bad: [], stored: 2 });
    expect(result.bad).toEqual(["t/1", "t/2"]);
    expect(result.retries).toBe(1);
  });
});
