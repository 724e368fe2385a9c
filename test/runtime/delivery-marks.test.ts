/**
 * Once-only delivery from an outbox to a session, inside workerd: an outbox names itself and
 * numbers its messages the same way after a restart; a session skips what it stored already
 * (its marks survive a restart too), takes the rest, and keeps outboxes apart. A batch of
 * commands delivered twice to a device (an outbox resending after a crash) is queued once.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { DeliveryMarks, type DeliveryMark } from "../../durable-objects/shared/delivery-marks";
import { Outbox, OutboxDrain } from "../../durable-objects/shared/outbox";
import type { Message } from "../../protocols/mqtt";

const message = (topic: string): Message => ({ topic, payload: new TextEncoder().encode(topic), qos: 1, retain: false });
const topics = (ms: readonly Message[]) => ms.map((m) => m.topic);

describe("delivery marks", () => {
  it("skips what a session stored from an outbox, across a restart, and keeps outboxes apart", async () => {
    const out = await inDeviceObject("marks-basics", (state) => {
      const sql = state.storage.sql;
      const marks = new DeliveryMarks(sql);
      const batch = ["a", "b", "c"].map(message);
      const first = marks.fresh(batch, { from: "shard", seqs: [1, 2, 3] });
      marks.record(new Map([["shard", [1, 2, 3]]]));
      const again = marks.fresh(batch, { from: "shard", seqs: [1, 2, 3] });
      // A restart: a new instance reads the marks back.
      const restarted = new DeliveryMarks(sql);
      const overlap = restarted.fresh(["c", "d"].map(message), { from: "shard", seqs: [3, 4] });
      const other = restarted.fresh(batch, { from: "device", seqs: [1, 2, 3] });
      const unmarked = restarted.fresh(batch, undefined);
      // A mark never moves back (a late, older batch cannot reopen what was stored).
      restarted.record(new Map([["shard", [2]]]));
      const stillThree = new DeliveryMarks(sql).fresh(batch, { from: "shard", seqs: [1, 2, 3] });
      // A number below the highest that never came (its call failed while a later one landed) is taken when it comes, across a restart.
      restarted.record(new Map([["gappy", [1, 2, 4]]]));
      const gap = new DeliveryMarks(sql).fresh(["c", "d", "e"].map(message), { from: "gappy", seqs: [3, 4, 5] });
      // A mark stored before the window was kept: everything up to its highest counts as stored.
      sql.exec(`INSERT INTO delivery_marks (source, seq, at, below) VALUES ('legacy', 5, ?, NULL)`, Date.now());
      const legacy = new DeliveryMarks(sql).fresh(["a", "b"].map(message), { from: "legacy", seqs: [3, 6] });
      return {
        first: topics(first.messages),
        again: topics(again.messages),
        overlap: { messages: topics(overlap.messages), mark: overlap.mark },
        other: topics(other.messages),
        unmarked: topics(unmarked.messages),
        stillThree: topics(stillThree.messages),
        gap: { messages: topics(gap.messages), mark: gap.mark },
        legacy: topics(legacy.messages),
      };
    });
    expect(out.first).toEqual(["a", "b", "c"]);
    expect(out.again).toEqual([]);
    expect(out.overlap).toEqual({ messages: ["d"], mark: { from: "shard", seqs: [4] } });
    expect(out.other).toEqual(["a", "b", "c"]);
    expect(out.unmarked).toEqual(["a", "b", "c"]);
    expect(out.stillThree).toEqual([]);
    expect(out.gap).toEqual({ messages: ["c", "e"], mark: { from: "gappy", seqs: [3, 5] } });
    expect(out.legacy).toEqual(["b"]);
  });

  it("an outbox sends the same id and numbers after a restart, and a re-made object gets a new id", async () => {
    const out = await inDeviceObject("marks-outbox", async (state) => {
      const sql = state.storage.sql;
      const sent: DeliveryMark[] = [];
      const host = { sessionsFor: () => [["s", []]] as [string, string[]][], deliver: async (_s: string, _m: Message[], mark: DeliveryMark) => void sent.push(mark), retryLater: async () => undefined, resumeLater: async () => undefined, failed: () => undefined };
      const drain = new OutboxDrain(new Outbox(sql, "marks_outbox"), host);
      await drain.push(["a", "b"].map(message));
      await drain.drain();
      // The object restarts before the delivered rows were deleted: they go again, marked the same.
      await new OutboxDrain(new Outbox(sql, "marks_outbox"), host).drain();
      const id = sent[0]!.from;
      sql.exec(`DELETE FROM outbox_ids`); // what deleting the object's storage does
      return { sent, sameId: sent.every((m) => m.from === id), newId: new Outbox(sql, "marks_outbox").id !== id };
    });
    expect(out.sent.map((m) => m.seqs)).toEqual([
      [1, 2],
      [1, 2],
    ]);
    expect(out.sameId).toBe(true);
    expect(out.newId).toBe(true);
  });

  it("queues a command delivered twice by the same outbox once", async () => {
    // Commands are queued only for a device the registry holds.
    await env.DB.prepare(`INSERT INTO devices (id, tags) VALUES (?, '[]')`).bind("marks-commands").run();
    const stub = env.DEVICE.get(env.DEVICE.idFromName("marks-commands"));
    const commands = await runInDurableObject(stub, async (device) => {
      const batch = [message("devices/marks-commands/commands/reboot"), message("devices/marks-commands/commands/update")];
      const mark = { from: "outbox-1", seqs: [7, 8] };
      await device.deliverMessages(batch, mark);
      await device.deliverMessages(batch, mark);
      // A later batch of the same outbox, and the same numbers from another outbox, are new.
      await device.deliverMessages([message("devices/marks-commands/commands/later")], { from: "outbox-1", seqs: [9] });
      await device.deliverMessages([batch[0]!], { from: "outbox-2", seqs: [7] });
      return device.listCommands(null, 10, null);
    });
    const names = commands.items.map((c) => c.name).sort();
    expect(names).toEqual(["later", "reboot", "reboot", "update"]);
  });
});
