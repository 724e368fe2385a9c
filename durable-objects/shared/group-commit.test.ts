import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit";

const turn = () => new Promise((r) => setTimeout(r, 0));

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe("GroupCommit", () => {
  it("writes everything added in one turn as one batch at the end of it, then releases every waiter", async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>((items) => void batches.push(items), 100);
    const done = [g.add([1]), g.add([2, 3]), g.add([4])];
    expect(batches).toEqual([]);
    await Promise.all(done);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it("does not hold a batch behind a call still in flight (an RPC): each turn's batch goes at its end", async () => {
    const batches: number[][] = [];
    const calls: ReturnType<typeof deferred>[] = [];
    const g = new GroupCommit<number>((items) => {
      batches.push(items);
      const d = deferred();
      calls.push(d);
      return d.promise;
    }, 100);
    const first = g.add([1]);
    await turn();
    const second = [g.add([2]), g.add([3])];
    await turn();
    expect(batches).toEqual([[1], [2, 3]]);
    calls.forEach((c) => c.resolve());
    await Promise.all([first, ...second]);
  });

  it("waits for a synchronous write to be settled (durable) before the next batch", async () => {
    const batches: number[][] = [];
    const durable = deferred();
    const g = new GroupCommit<number>((items) => void batches.push(items), 100, () => durable.promise);
    await g.add([1]);
    g.add([2]);
    await turn();
    await turn();
    expect(batches).toEqual([[1]]);
    durable.resolve();
    await turn();
    expect(batches).toEqual([[1], [2]]);
  });

  it("writes at once when the caller's burst is done, unless an unsettled write will take the batch", async () => {
    const batches: number[][] = [];
    const durable = deferred();
    const g = new GroupCommit<number>((items) => void batches.push(items), 100, () => durable.promise);
    const first = g.add([1, 2]);
    g.burstDone();
    // Written now, not at the end of the turn; and the timer does not write an empty batch later.
    expect(batches).toEqual([[1, 2]]);
    await first;
    g.add([3]);
    g.burstDone();
    await turn();
    expect(batches).toEqual([[1, 2]]);
    durable.resolve();
    await turn();
    expect(batches).toEqual([[1, 2], [3]]);
    g.burstDone();
    await turn();
    expect(batches).toEqual([[1, 2], [3]]);
  });

  it("sets no timer for items whose caller calls burstDone, and writes them then", async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>((items) => void batches.push(items), 100, () => Promise.resolve());
    const done = g.add([1], true);
    await turn();
    await turn();
    expect(batches).toEqual([]);
    g.burstDone();
    await done;
    expect(batches).toEqual([[1]]);
  });

  it("resolves an empty add at the end of the turn without writing", async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>((items) => void batches.push(items), 100, () => Promise.resolve());
    await g.add([]);
    expect(batches).toEqual([]);
  });

  it("writes at once when the batch is full", async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>((items) => void batches.push(items), 3);
    const first = g.add([1, 2]);
    const second = g.add([3]);
    expect(batches).toEqual([[1, 2, 3]]);
    await Promise.all([first, second]);
    const third = g.add([4]);
    g.flush();
    await third;
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it("rejects the waiters of a batch whose write failed, and keeps working", async () => {
    let fail = true;
    const g = new GroupCommit<number>(() => {
      if (fail) throw new Error("disk full");
    }, 10);
    await expect(g.add([1])).rejects.toThrow("disk full");
    fail = false;
    await expect(g.add([2])).resolves.toBeUndefined();
  });
});
