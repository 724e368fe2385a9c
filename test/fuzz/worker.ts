/**
 * Worker side of `npm run fuzz`: runs a slice of one codec's inputs, storing the index of the
 * input being run in shared memory before each one, so the main thread can tell a hang from
 * slow progress and name the input that hung.
 */
import { parentPort, workerData } from "node:worker_threads";
import { fuzz } from "./engine";
import { loadTarget, type CodecName } from "./targets/index";

interface Job {
  codec: CodecName;
  seed: number;
  from: number;
  inputs: number;
  /** [0] index of the input now running, [1] inputs finished. */
  marker: SharedArrayBuffer;
}

const job = workerData as Job;
const marker = new Int32Array(job.marker);
const target = await loadTarget(job.codec);
const summary = fuzz(target, {
  seed: job.seed,
  from: job.from,
  inputs: job.inputs,
  beforeInput: (i) => Atomics.store(marker, 0, i),
  onProgress: (_next, s) => {
    Atomics.store(marker, 1, s.inputs);
    parentPort?.postMessage({ kind: "progress", accepted: s.accepted, rejected: s.rejected, failures: s.failures.length });
  },
});
parentPort?.postMessage({ kind: "done", summary });
