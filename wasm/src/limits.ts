/**
 * Decoder limits: every decode is bounded in nesting, item count and input size.
 * @module
 */

/** Limits for one decode call; omitted fields take the defaults. */
export interface Limits {
  /** Deepest nesting of arrays, maps and tags (default 64, at most {@link MAX_DEPTH_CAP}). */
  maxDepth?: number;
  /** Most data items in total, counting keys and string chunks (default 1,000,000). */
  maxItems?: number;
  /** Longest input in bytes (default 16 MiB). */
  maxBytes?: number;
}

/** Limits with every field present. */
export type ResolvedLimits = Readonly<Required<Limits>>;

/** Defaults used when `decode` gets no limits. */
export const DEFAULT_LIMITS: ResolvedLimits = Object.freeze({
  maxDepth: 64,
  maxItems: 1_000_000,
  maxBytes: 16 * 1024 * 1024,
});

/** Upper bound for maxDepth: building values recurses once per level on the JS stack. */
export const MAX_DEPTH_CAP = 2048;

const I32_MAX = 0x7fffffff;

function clamp(v: number | undefined, fallback: number, max: number): number {
  if (v === undefined || Number.isNaN(v)) return fallback;
  if (v < 0) return 0;
  return Math.min(Math.floor(v), max);
}

/** Fills in defaults and clamps each limit to what the decoder can honour. */
export function resolveLimits(limits: Limits | undefined): ResolvedLimits {
  if (limits === undefined) return DEFAULT_LIMITS;
  return {
    maxDepth: clamp(limits.maxDepth, DEFAULT_LIMITS.maxDepth, MAX_DEPTH_CAP),
    maxItems: clamp(limits.maxItems, DEFAULT_LIMITS.maxItems, I32_MAX),
    maxBytes: clamp(limits.maxBytes, DEFAULT_LIMITS.maxBytes, I32_MAX),
  };
}
