/**
 * The codec fuzzing loop shared by the unit tests (short, in-thread) and `npm run fuzz`
 * (1,000,000 inputs per codec in a worker with a hang watchdog, test/fuzz/run.ts). Input `i` of
 * a run is a pure function of (seed, i): a corpus entry as is, random bytes, or a mutation.
 */
import { below, hex, mutate, rngAt, type Seed } from "./mutate";

/** What one input did: decoded, or refused with the codec's own typed error. */
export type Verdict = "accepted" | "rejected";

/** A bug found by a target's check (an untyped error, a broken invariant). */
export class FuzzBug extends Error {
  constructor(message: string, override readonly cause?: unknown) {
    super(message);
    this.name = "FuzzBug";
  }
}

/** One codec under fuzzing. */
export interface FuzzTarget {
  readonly name: string;
  /** Valid inputs from spec vectors and fast-check generators (deterministic for a seed). */
  corpus(seed: number): Seed[];
  /**
   * Runs one input through the codec. Returns the verdict; anything the codec throws other than
   * its typed error must surface as an exception (the engine records it as a failure).
   * `variant` picks codec options (stream role, chunking, limits, frame kind).
   */
  check(input: Uint8Array, variant: number, mode: number | undefined): Verdict;
  /** Bytes that mean something to the codec, for the mutator. */
  readonly interesting?: readonly number[];
}

/** One generated input. */
export interface FuzzInput {
  bytes: Uint8Array;
  variant: number;
  mode: number | undefined;
}

/** Input `index` of a run over `corpus` seeded `seed`. */
export function inputAt(target: FuzzTarget, corpus: readonly Seed[], seed: number, index: number): FuzzInput {
  const r = rngAt(seed, index);
  const variant = below(r, 1 << 30);
  const kind = r();
  if (kind < 0.05 || corpus.length === 0) return { bytes: Uint8Array.from({ length: below(r, 96) }, () => below(r, 256)), variant, mode: undefined };
  const src = corpus[below(r, corpus.length)];
  if (kind < 0.1) return { bytes: src.bytes, variant, mode: src.mode };
  const other = corpus[below(r, corpus.length)].bytes;
  return { bytes: mutate(src.bytes, r, { other, lengthAt: src.lengthAt, interesting: target.interesting }), variant, mode: src.mode };
}

/** A failing input, replayable with `npm run fuzz -- --codec <name> --seed <seed> --from <index> --inputs 1`. */
export interface FuzzFailure {
  index: number;
  variant: number;
  mode: number | undefined;
  hex: string;
  error: string;
  stack?: string;
}

/** Totals of a run. */
export interface FuzzSummary {
  codec: string;
  seed: number;
  from: number;
  inputs: number;
  accepted: number;
  rejected: number;
  failures: FuzzFailure[];
  slowest: { index: number; ms: number };
  seconds: number;
}

/** Options of {@link fuzz}. */
export interface FuzzOptions {
  seed: number;
  inputs: number;
  /** First index (to resume after a hang, or replay one input). */
  from?: number;
  /** Called every 1,024 inputs with the next index (progress, watchdog). */
  onProgress?: (index: number, s: FuzzSummary) => void;
  /** Called before each input runs (the watchdog's marker). */
  beforeInput?: (index: number) => void;
  /** Keeps at most this many failures (default 20). */
  maxFailures?: number;
}

/** Runs `inputs` inputs through `target`; collects failures instead of stopping at the first. */
export function fuzz(target: FuzzTarget, opts: FuzzOptions, corpus: readonly Seed[] = target.corpus(opts.seed)): FuzzSummary {
  const from = opts.from ?? 0;
  const s: FuzzSummary = { codec: target.name, seed: opts.seed, from, inputs: 0, accepted: 0, rejected: 0, failures: [], slowest: { index: -1, ms: 0 }, seconds: 0 };
  const started = performance.now();
  for (let i = from; i < from + opts.inputs; i++) {
    const input = inputAt(target, corpus, opts.seed, i);
    opts.beforeInput?.(i);
    const t = performance.now();
    try {
      if (target.check(input.bytes, input.variant, input.mode) === "accepted") s.accepted++;
      else s.rejected++;
    } catch (e) {
      if (s.failures.length < (opts.maxFailures ?? 20)) {
        s.failures.push({ index: i, variant: input.variant, mode: input.mode, hex: hex(input.bytes), error: e instanceof Error ? `${e.name}: ${e.message}` : String(e), stack: e instanceof Error ? e.stack : undefined });
      }
    }
    const ms = performance.now() - t;
    if (ms > s.slowest.ms) s.slowest = { index: i, ms };
    s.inputs++;
    if ((s.inputs & 1023) === 0) opts.onProgress?.(i + 1, s);
  }
  s.seconds = (performance.now() - started) / 1000;
  return s;
}

/** `fuzz` failures as one readable message (for test assertions). */
export function describeFailures(s: FuzzSummary): string {
  return s.failures.map((f) => `#${f.index} variant ${f.variant} mode ${f.mode} hex ${f.hex}\n  ${f.error}\n${f.stack ?? ""}`).join("\n");
}
