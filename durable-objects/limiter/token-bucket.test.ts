import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { isFull, take, type Bucket } from "./token-bucket";

describe("take", () => {
  it("lets a burst through, then refuses with the wait until the next token", () => {
    const limit = { rate: 2, burst: 3 };
    let b: Bucket | undefined;
    const oks: boolean[] = [];
    for (let i = 0; i < 4; i++) {
      const t = take(b, limit, 1000);
      b = t.bucket;
      oks.push(t.ok);
      if (!t.ok) expect(t.retryAfterMs).toBe(500);
    }
    expect(oks).toEqual([true, true, true, false]);
    expect(take(b, limit, 1500).ok).toBe(true);
    expect(take(b, limit, 1499).ok).toBe(false);
  });

  it("never refills past the burst, and a clock going back refills nothing", () => {
    const limit = { rate: 10, burst: 2 };
    const b = take(undefined, limit, 0).bucket;
    expect(take(b, limit, 1e9).bucket.tokens).toBe(1);
    expect(take({ tokens: 0, at: 5000 }, limit, 0).ok).toBe(false);
  });

  it("a cost of 0 checks without taking", () => {
    const limit = { rate: 1, burst: 1 };
    const full = take(undefined, limit, 0, 0);
    expect(full).toMatchObject({ ok: true, bucket: { tokens: 1 } });
    const empty = take(full.bucket, limit, 0).bucket;
    expect(take(empty, limit, 0, 0)).toMatchObject({ ok: false, retryAfterMs: 1000, bucket: { tokens: 0 } });
  });

  it("a rate of 0 refuses forever once empty", () => {
    expect(take({ tokens: 0, at: 0 }, { rate: 0, burst: 1 }, 1e12).retryAfterMs).toBe(Number.POSITIVE_INFINITY);
  });

  it("over any run of requests, at most burst + rate × elapsed pass", () => {
    fc.assert(
      fc.property(
        fc.record({ rate: fc.integer({ min: 1, max: 100 }), burst: fc.integer({ min: 1, max: 50 }) }),
        fc.array(fc.integer({ min: 0, max: 200 }), { minLength: 1, maxLength: 300 }),
        (limit, gaps) => {
          let now = 0;
          let b: Bucket | undefined;
          let passed = 0;
          for (const gap of gaps) {
            now += gap;
            const t = take(b, limit, now);
            b = t.bucket;
            if (t.ok) passed++;
            else expect(take(b, limit, now + t.retryAfterMs).ok).toBe(true);
          }
          expect(passed).toBeLessThanOrEqual(limit.burst + (limit.rate * now) / 1000 + 1e-9);
        },
      ),
    );
  });

  it("isFull says when a bucket may be dropped", () => {
    expect(isFull({ tokens: 0, at: 0 }, { rate: 1, burst: 2 }, 1999)).toBe(false);
    expect(isFull({ tokens: 0, at: 0 }, { rate: 1, burst: 2 }, 2000)).toBe(true);
  });
});
