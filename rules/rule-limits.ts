/**
 * Bounds on what a rule may ask for, so that a rule stored by one tenant can cost neither stack,
 * CPU per message nor state size beyond a known amount: the parser checks size and shape, the
 * evaluator's state grows at most by the window buckets and the rate-limit log fixed here.
 */

/** Duration units accepted after a number, in milliseconds. Longest names first for printing. */
const UNITS: ReadonlyArray<readonly [string, number]> = [
  ["d", 86_400_000],
  ["h", 3_600_000],
  ["m", 60_000],
  ["s", 1_000],
  ["ms", 1],
];

/** The fixed bounds (see rules/README.md, "Limits"). */
export const RULE_LIMITS = {
  /** Characters of rule text. */
  maxLength: 4096,
  /** Expression nodes in the whole rule. */
  maxNodes: 256,
  /** Nesting depth of expressions (parentheses, operators, calls). */
  maxDepth: 32,
  /** Entries of the SELECT list. */
  maxSelectItems: 32,
  /** Distinct `... OVER` aggregates in one rule. */
  maxAggregates: 8,
  /** Longest `FOR`. */
  maxFor: 7 * 86_400_000,
  /** Longest `OVER` window. */
  maxWindow: 86_400_000,
  /** A window is kept in at most this many buckets (its resolution is window / buckets). */
  windowBuckets: 120,
  /** Largest `n` of `LIMIT n PER d` (the state keeps one timestamp per allowed firing). */
  maxLimitCount: 100,
  /** Longest `PER`. */
  maxLimitPer: 86_400_000,
} as const;

/**
 * Milliseconds of a duration literal such as `500ms`, `30s`, `5m`, `2h`, `1d`; `null` when the
 * text is not one (unknown unit, not a whole number, or beyond 2^53).
 * @example durationMs("5m") // 300000
 * @example durationMs("1.5h") // null
 */
export function durationMs(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(text);
  if (!m) return null;
  const unit = UNITS.find(([name]) => name === m[2]);
  const ms = Number(m[1]) * (unit ? unit[1] : NaN);
  return Number.isSafeInteger(ms) ? ms : null;
}

/**
 * The shortest literal for a duration: the largest unit that divides it.
 * @example formatDuration(300000) // "5m"
 * @example formatDuration(1500) // "1500ms"
 */
export function formatDuration(ms: number): string {
  for (const [name, size] of UNITS) if (ms % size === 0) return `${ms / size}${name}`;
  return `${ms}ms`;
}
