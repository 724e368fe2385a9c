/**
 * `round(x, d)` of the rules language: half away from zero, on the decimal a number is written
 * as. A double such as 1.005 is stored as 1.00499999999999989…, so scaling it (`1.005 * 100`)
 * lands below the half and rounds down; users wrote and see 1.005, and expect 1.01. So the
 * digits rounded here are those of the shortest decimal that reads back as the same double
 * (what `String(x)` and JSON print), and the result is the double nearest the rounded decimal.
 */

/** Largest number of decimals `round` takes. */
export const ROUND_MAX_DIGITS = 15;

/**
 * Rounds a finite `x` half away from zero to `digits` decimals (an integer 0 … 15), on the
 * shortest decimal of `x`. A number with at most `digits` decimals comes back unchanged, so a
 * large one never overflows. Never returns -0.
 * @example roundHalfAway(1.005, 2) // 1.01
 * @example roundHalfAway(-2.5, 0) // -3
 * @example roundHalfAway(0.00015, 4) // 0.0002
 */
export function roundHalfAway(x: number, digits: number): number {
  // "d.ddde±n": the shortest round-trip digits (toExponential without an argument).
  const [mantissa = "", exp = "0"] = Math.abs(x).toExponential().split("e");
  const all = mantissa.replace(".", "");
  // Digits that stay: those before the point (exponent + 1) and `digits` after it.
  const keep = Number(exp) + 1 + digits;
  if (keep >= all.length) return x === 0 ? 0 : x;
  if (keep < 0) return 0; // |x| < 10^-(digits+1): below half the last place
  let kept = BigInt(keep === 0 ? "0" : all.slice(0, keep)); // up to 16 digits: past 2^53
  if (all.charCodeAt(keep) >= 0x35 /* "5" */) kept += 1n;
  if (kept === 0n) return 0;
  return Number(`${x < 0 ? "-" : ""}${kept}e-${digits}`);
}
