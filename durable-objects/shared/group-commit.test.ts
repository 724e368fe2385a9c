import { describe, expect, it } from "vitest";
import { GroupCommit } from "./group-commit";

describe("GroupCommit", () => {
  it("writes everything added within the delay in one batch, then releases every waiter", async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>((items) => void batches.push(items), 5, 100);
    const done = [g.add([1]), g.add([2, 3]), g.add([4])];
    expect(batches).toEqual([]);
    await Promise.all(done);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it("writes at once when the batch is full", async () => {
    const batches: number[][] = [];
    const g = new GroupCommit<number>((items) => void batches.push(items), 1_000, 3);
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
    }, 1, 10);
    await expect(g.add([1])).rejects.toThrow("disk full");
    fail = false;
    await expect(g.add([2])).resolves.toBeUndefined();
  });
});
