/** AsyncQueue: order, early return, end and failure. */
import { describe, expect, it } from "vitest";
import { AsyncQueue } from "./async-queue";

async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const v of it) out.push(v);
  return out;
}

describe("AsyncQueue", () => {
  it("yields items pushed before and while reading, in order, then ends", async () => {
    const q = new AsyncQueue<number>();
    q.push(1);
    const read = drain(q);
    q.push(2);
    q.push(3);
    q.end();
    q.push(4); // after end: ignored
    expect(await read).toEqual([1, 2, 3]);
  });

  it("throws the failure after the items pushed before it", async () => {
    const q = new AsyncQueue<string>();
    q.push("a");
    q.fail(new Error("socket closed"));
    const seen: string[] = [];
    await expect(
      (async () => {
        for await (const v of q) seen.push(v);
      })(),
    ).rejects.toThrow("socket closed");
    expect(seen).toEqual(["a"]);
  });

  it("calls onReturn once when the reader breaks out, and not after a normal end", async () => {
    let returned = 0;
    const q = new AsyncQueue<number>(() => returned++);
    q.push(1);
    q.push(2);
    for await (const v of q) if (v === 1) break;
    expect(returned).toBe(1);
    await q.return();
    expect(returned).toBe(1);
    const ended = new AsyncQueue<number>(() => returned++);
    ended.end();
    await drain(ended);
    await ended.return();
    expect(returned).toBe(1);
  });

  it("keeps falsy items", async () => {
    const q = new AsyncQueue<number | null>();
    q.push(0);
    q.push(null);
    q.end();
    expect(await drain(q)).toEqual([0, null]);
  });
});
