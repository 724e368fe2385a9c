import { afterEach, describe, expect, it, vi } from "vitest";
import { createSession, type Message, type SessionState, type StoredMessage } from "../../protocols/mqtt";
import { DeliveryIntake } from "./mqtt-intake";

const message = (n: number): Message => ({ topic: `t/${n}`, payload: new Uint8Array([n]), qos: 1, retain: false });
const queued = (n: number): StoredMessage[] => Array.from({ length: n }, (_, i) => ({ topic: `q/${i}`, payload: "", qos: 1, retain: false }));

/** A session whose stores are recorded and finish when the test says. */
function harness(connected: boolean, maxQueued = 8) {
  let state: SessionState = { ...createSession("s", { maxQueued }), connected };
  const batches: string[][] = [];
  const marks: [string, readonly number[]][][] = [];
  const finish: (() => void)[] = [];
  const intake = new DeliveryIntake({
    state: () => state,
    store: (take) =>
      new Promise<void>((resolve) => {
        const batch = take();
        batches.push(batch.messages.map((m) => m.topic));
        marks.push([...batch.marks]);
        finish.push(resolve);
      }),
    durable: () => Promise.resolve(),
    roomWaitMs: () => 10_000,
  });
  return {
    intake,
    batches,
    marks,
    finish: () => finish.splice(0).forEach((f) => f()),
    setQueue: (n: number) => {
      state = { ...state, queue: queued(n) };
      intake.stateChanged();
    },
    disconnect: () => {
      state = { ...state, connected: false };
      intake.stateChanged();
    },
  };
}

const turns = () => new Promise((r) => setTimeout(r, 0));

describe("DeliveryIntake", () => {
  afterEach(() => vi.useRealTimers());

  it("stores what arrives while a batch is being stored as the next batch, in order", async () => {
    const h = harness(false);
    const first = h.intake.deliver([message(1)]);
    await turns();
    const second = h.intake.deliver([message(2)]);
    const third = h.intake.deliver([message(3)]);
    expect(h.batches).toEqual([["t/1"]]);
    h.finish();
    await turns();
    expect(h.batches).toEqual([["t/1"], ["t/2", "t/3"]]);
    h.finish();
    await Promise.all([first, second, third]);
  });

  it("records each outbox's numbers with the part of its batch that a write stores", async () => {
    const h = harness(true);
    const first = h.intake.deliver([1, 2, 3, 4, 5, 6].map(message), { from: "shard", seqs: [11, 12, 13, 14, 15, 16] });
    await turns();
    // Only four fit (half the queue limit): the write that stores them records 11 to 14, not 15 and 16.
    expect(h.batches).toEqual([["t/1", "t/2", "t/3", "t/4"]]);
    expect(h.marks).toEqual([[["shard", [11, 12, 13, 14]]]]);
    h.setQueue(0);
    await turns();
    // The rest gathers for the next batch with another outbox's delivery and one without a mark.
    void h.intake.deliver([message(7)], { from: "device", seqs: [3] });
    void h.intake.deliver([message(8)]);
    h.finish();
    await turns();
    expect(h.batches.slice(1)).toEqual([["t/5", "t/6", "t/7", "t/8"]]);
    expect(h.marks.slice(1)).toEqual([
      [
        ["shard", [15, 16]],
        ["device", [3]],
      ],
    ]);
    h.finish();
    await first;
  });

  it("lets a connected session take up to half its queue limit, the rest once it is back at a quarter", async () => {
    const h = harness(true);
    let done = false;
    const delivery = h.intake.deliver([1, 2, 3, 4, 5, 6].map(message)).then(() => (done = true));
    await turns();
    expect(h.batches).toEqual([["t/1", "t/2", "t/3", "t/4"]]);
    h.setQueue(4); // the four went into the queue; the client has acknowledged nothing
    h.finish();
    await turns();
    expect(h.batches).toHaveLength(1);
    h.setQueue(3); // above a quarter: still waiting
    await turns();
    expect(h.batches).toHaveLength(1);
    h.setQueue(2);
    await turns();
    expect(h.batches).toEqual([["t/1", "t/2", "t/3", "t/4"], ["t/5", "t/6"]]);
    h.finish();
    await delivery;
    expect(done).toBe(true);
  });

  it("never holds deliveries to an offline session, and lets waiting ones in when the client goes", async () => {
    const offline = harness(false);
    void offline.intake.deliver([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(message));
    await turns();
    expect(offline.batches[0]).toHaveLength(10);

    const h = harness(true);
    h.setQueue(4);
    void h.intake.deliver([message(1)]);
    await turns();
    expect(h.batches).toEqual([]);
    h.disconnect();
    await turns();
    expect(h.batches).toEqual([["t/1"]]);
  });

  it("takes a delivery anyway after waiting 10 s for room", async () => {
    vi.useFakeTimers();
    const h = harness(true);
    h.setQueue(4);
    void h.intake.deliver([message(1), message(2)]);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(h.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(h.batches).toEqual([["t/1", "t/2"]]);
  });

  it("gives a session whose queue limit is one message room for one at a time", async () => {
    const h = harness(true, 1);
    void h.intake.deliver([message(1), message(2)]);
    await turns();
    expect(h.batches).toEqual([["t/1"]]);
  });
});
