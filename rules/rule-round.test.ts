/**
 * `round(x, d)`: half away from zero on the decimal a number is written as (rules/README.md),
 * by spec vectors, through the language, and by properties against a model in exact integers.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { ROUND_MAX_DIGITS, roundHalfAway } from "./rule-round";
import { ev, run } from "./rule-test-helpers.test-support";

/** Decimals in the shortest form of `n` (`1e-7` has 7, `1.25e-5` has 7, `1e21` has 0). */
function decimals(n: number): number {
  const [m = "", e = "0"] = String(Math.abs(n)).split("e");
  const frac = m.split(".")[1]?.length ?? 0;
  return Math.max(0, frac - Number(e));
}

/** Model: the shortest decimal of x as M·10^E in BigInt, rounded half away from zero by integer division. */
function model(x: number, d: number): number {
  const [m = "", e = "0"] = String(Math.abs(x)).split("e");
  const [int = "", frac = ""] = m.split(".");
  const M = BigInt(int + frac);
  const shift = Number(e) - frac.length + d; // x·10^d = M·10^shift
  let q: bigint;
  if (shift >= 0) q = M * 10n ** BigInt(shift);
  else {
    const div = 10n ** BigInt(-shift);
    q = M / div;
    if (2n * (M % div) >= div) q += 1n;
  }
  const r = Number(`${q}e-${d}`);
  return r === 0 ? 0 : x < 0 ? -r : r;
}

describe("roundHalfAway", () => {
  const vectors: Array<[number, number, number]> = [
    [1.005, 2, 1.01], // 1.00499999999999989… as a double; scaling gave 1
    [2.675, 2, 2.68],
    [-1.005, 2, -1.01],
    [-2.675, 2, -2.68],
    [8.345, 2, 8.35],
    [1.45, 1, 1.5],
    [0.5, 0, 1],
    [-0.5, 0, -1],
    [1.5, 0, 2],
    [2.5, 0, 3],
    [-2.5, 0, -3],
    [0.49999999999999994, 0, 0], // the largest double below 0.5 is not a half
    [-0.2, 0, 0], // never -0
    [1.2345, 2, 1.23],
    [1.2355, 3, 1.236],
    [0.1 + 0.2, 15, 0.3], // 0.30000000000000004
    [0.1 + 0.2, 17, 0.30000000000000004], // already d decimals: unchanged (the language stops at 15)
    [123.456, 0, 123],
    [999.995, 2, 1000],
    [-999.995, 2, -1000],
    [0.00015, 4, 0.0002],
    [0.000015, 5, 0.00002],
    [0.0000149999, 5, 0.00001],
    [0.05, 1, 0.1],
    [0.04, 1, 0],
    [1e-7, 15, 1e-7],
    [1.23456789e-10, 15, 1.23457e-10],
    [1.23456789e-16, 15, 0],
    [5e-16, 15, 1e-15],
    [4.9e-16, 15, 0],
    [5e-324, 15, 0],
    [123456789012345.67, 1, 123456789012345.7],
    [4503599627370495.5, 0, 4503599627370496],
    [9007199254740991, 0, 9007199254740991],
    [1e21, 2, 1e21],
    [1e300, 15, 1e300], // unchanged: scaling by 10^15 overflowed to no value
    [-1.7976931348623157e308, 0, -1.7976931348623157e308],
    [0, 3, 0],
    [-0, 3, 0],
    [42, 0, 42],
  ];
  it.each(vectors)("round(%s, %s) = %s", (x, d, want) => {
    expect(Object.is(roundHalfAway(x, d), want)).toBe(true);
  });

  const finite = fc.oneof(
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.double({ min: -1e6, max: 1e6, noNaN: true }),
    // halves and near-halves written with few decimals: 12.345, -0.5, 2.675
    fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 8 })).map(([n, k]) => Number(`${n}5e-${k + 1}`)),
  );
  const digits = fc.integer({ min: 0, max: ROUND_MAX_DIGITS });

  it("agrees with an exact model of the shortest decimal", () => {
    fc.assert(fc.property(finite, digits, (x, d) => Object.is(roundHalfAway(x, d), model(x, d))), { numRuns: 5000 });
  });

  it("keeps at most d decimals, within half a unit of the d-th place of x", () => {
    fc.assert(
      fc.property(finite, digits, (x, d) => {
        const r = roundHalfAway(x, d);
        expect(decimals(r)).toBeLessThanOrEqual(d);
        // tiny: the error of the doubles nearest x and the result, each half an ulp
        const tiny = (Math.abs(x) + Math.abs(r)) * Number.EPSILON;
        expect(Math.abs(r - x)).toBeLessThanOrEqual(0.5 * 10 ** -d + tiny);
      }),
      { numRuns: 5000 },
    );
  });

  it("is odd, idempotent, and leaves a number with at most d decimals alone", () => {
    fc.assert(
      fc.property(finite, digits, (x, d) => {
        const r = roundHalfAway(x, d);
        expect(roundHalfAway(-x, d)).toBe(r === 0 ? 0 : -r);
        expect(roundHalfAway(r, d)).toBe(r);
        if (decimals(x) <= d) expect(roundHalfAway(x, d)).toBe(x === 0 ? 0 : x);
      }),
      { numRuns: 3000 },
    );
  });
});

describe("round() in a rule", () => {
  const out = (items: string, data: Record<string, number | string>) => run(`SELECT ${items} FROM telemetry`, [ev(1000, data)]).firings[0]?.output;
  it("rounds the written decimal, d from 0 to 15; other d, or a non-number, has no value", () => {
    expect(out("round(a, 2) AS a, round(b, 2) AS b, round(c, 2) AS c, round(h) AS h, round(n) AS n, round(e, 1) AS e", { a: 1.005, b: 2.675, c: -1.005, h: 0.5, n: -0.5, e: 1.45 })).toEqual({ a: 1.01, b: 2.68, c: -1.01, h: 1, n: -1, e: 1.5 });
    expect(out("round(a, 15) AS a, round(a * 10, 15) AS b", { a: 1e300 })).toEqual({ a: 1e300, b: 1e301 });
    expect(out("round(a, 16) AS x, round(a, -1) AS y, round(a, 1.5) AS z, round(s) AS w, round(a / 0) AS v", { a: 15, s: "1.5" })).toEqual({});
  });
});
