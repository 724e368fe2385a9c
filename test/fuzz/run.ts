/**
 * `npm run fuzz`: 1,000,000 inputs per codec (`--inputs`), each codec in a worker thread
 * watched for hangs: an input that runs longer than `--hang-ms` (10,000) is reported with its
 * hex and the run resumes after it. Prints one JSON line per codec (inputs/s, verdict counts,
 * failures, hangs, slowest input) and failure details on stderr; exits 1 on any failure or hang.
 * Options: --codec mqtt|coap|cbor|json --inputs N --seed S --from I --hang-ms MS
 * Replay one input: --codec mqtt --seed S --from I --inputs 1
 */
import { Worker } from "node:worker_threads";
import { Args } from "../../bench/lib/args";
import { Progress } from "../../bench/lib/progress";
import { inputAt, type FuzzFailure, type FuzzSummary } from "./engine";
import { hex } from "./mutate";
import { CODECS, loadTarget, type CodecName } from "./targets/index";

const args = new Args();
const codecs = args.str("codec", "") ? [args.choice<CodecName>("codec", CODECS, "mqtt")] : [...CODECS];
const total = Math.round(args.num("inputs", 1_000_000));
const seed = Math.round(args.num("seed", Math.floor(Math.random() * 2 ** 31)));
const start = Math.round(args.num("from", 0));
const hangMs = args.num("hang-ms", 10_000);
const progress = new Progress("fuzz");

/** Starts a worker on the TypeScript sources (tsx registered inside the worker). */
function spawnWorker(data: Record<string, unknown>): Worker {
  const api = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./worker.ts", import.meta.url).href;
  const boot = `import { register } from ${JSON.stringify(api)}; register(); await import(${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(boot)}`), { workerData: data });
}

interface Slice {
  summary?: FuzzSummary;
  /** Index of the input that hung (the worker was terminated). */
  hungAt?: number;
  error?: string;
}

/** Runs inputs [from, from + inputs) in a worker; stops it when one input exceeds hangMs. */
function runSlice(codec: CodecName, from: number, inputs: number, onProgress: (done: number, accepted: number) => void): Promise<Slice> {
  const marker = new SharedArrayBuffer(8);
  const view = new Int32Array(marker);
  Atomics.store(view, 0, from - 1);
  const worker = spawnWorker({ codec, seed, from, inputs, marker });
  return new Promise((resolve) => {
    let lastIndex = -2;
    let lastChange = Date.now();
    let accepted = 0;
    const watch = setInterval(() => {
      const now = Atomics.load(view, 0);
      onProgress(Atomics.load(view, 1), accepted);
      if (now !== lastIndex) {
        lastIndex = now;
        lastChange = Date.now();
      } else if (now >= from && Date.now() - lastChange > hangMs) {
        clearInterval(watch);
        void worker.terminate().then(() => resolve({ hungAt: now }));
      }
    }, 250);
    worker.on("message", (m: { kind: string; accepted?: number; summary?: FuzzSummary }) => {
      if (m.kind === "progress") accepted = m.accepted ?? accepted;
      if (m.kind === "done") {
        clearInterval(watch);
        resolve({ summary: m.summary });
      }
    });
    worker.on("error", (e) => {
      clearInterval(watch);
      resolve({ error: e.stack ?? String(e) });
    });
  });
}

let failed = false;
for (const codec of codecs) {
  const startedAt = performance.now();
  const totals = { inputs: 0, accepted: 0, rejected: 0, failures: [] as FuzzFailure[], hangs: [] as { index: number; hex: string }[], slowest: { index: -1, ms: 0 } };
  let from = start;
  let crashed: string | undefined;
  while (from < start + total && !crashed) {
    const base = totals.inputs;
    const slice = await runSlice(codec, from, start + total - from, (done, acc) => {
      const n = base + done;
      const s = (performance.now() - startedAt) / 1000;
      progress.set(`${codec}: ${n}/${total} (${Math.round(n / s)}/s), accepted ${totals.accepted + acc}, failures ${totals.failures.length}, hangs ${totals.hangs.length}`);
    });
    if (slice.summary) {
      const s = slice.summary;
      totals.inputs += s.inputs;
      totals.accepted += s.accepted;
      totals.rejected += s.rejected;
      totals.failures.push(...s.failures);
      if (s.slowest.ms > totals.slowest.ms) totals.slowest = s.slowest;
      from += s.inputs;
    } else if (slice.hungAt !== undefined) {
      const target = await loadTarget(codec);
      const input = inputAt(target, target.corpus(seed), seed, slice.hungAt);
      totals.hangs.push({ index: slice.hungAt, hex: hex(input.bytes) });
      totals.inputs += slice.hungAt - from + 1;
      from = slice.hungAt + 1;
    } else crashed = slice.error;
  }
  const seconds = (performance.now() - startedAt) / 1000;
  progress.done();
  for (const f of totals.failures) process.stderr.write(`${codec} failure at input ${f.index} (seed ${seed}, variant ${f.variant}, mode ${f.mode}):\n  hex ${f.hex}\n  ${f.error}\n${f.stack ?? ""}\n`);
  for (const h of totals.hangs) process.stderr.write(`${codec} hang (> ${hangMs} ms) at input ${h.index} (seed ${seed}): hex ${h.hex}\n`);
  const ok = !crashed && totals.failures.length === 0 && totals.hangs.length === 0;
  failed ||= !ok;
  console.log(JSON.stringify({
    fuzz: codec, ok, seed, from: start, inputs: totals.inputs, inputs_s: Math.round(totals.inputs / seconds), seconds: Math.round(seconds),
    accepted: totals.accepted, rejected: totals.rejected, failures: totals.failures.length, hangs: totals.hangs.length,
    slowest_ms: Math.round(totals.slowest.ms * 10) / 10, slowest_index: totals.slowest.index,
    ...(crashed ? { error: crashed.split("\n")[0] } : {}),
    ...(totals.failures.length ? { first_failure: { index: totals.failures[0].index, hex: totals.failures[0].hex.slice(0, 400), error: totals.failures[0].error } } : {}),
    ...(totals.hangs.length ? { first_hang: totals.hangs[0] } : {}),
  }));
}
process.exit(failed ? 1 : 0);
