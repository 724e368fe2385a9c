/**
 * Runs `total` asynchronous sends with at most `inflight` outstanding, timing each from start
 * to its acknowledgement: the load shape of "N requests, W in flight" outside plain MQTT rounds.
 */
import { Histogram } from "./histogram";

/** What a windowed run produced. */
export interface WindowResult {
  acked: number;
  errors: number;
  firstError: string | undefined;
  seconds: number;
  latency: Histogram;
}

/** Calls `send(i)` for i in [0, total), `inflight` at a time; `onTick` for progress. */
export async function windowed(total: number, inflight: number, send: (i: number) => Promise<unknown>, onTick?: (done: number) => void): Promise<WindowResult> {
  const latency = new Histogram();
  let next = 0;
  let acked = 0;
  let errors = 0;
  let firstError: string | undefined;
  const start = performance.now();
  const tick = onTick ? setInterval(() => onTick(acked + errors), 250) : undefined;
  const lane = async () => {
    while (next < total) {
      const i = next++;
      const t = performance.now();
      try {
        await send(i);
        acked++;
        latency.record(performance.now() - t);
      } catch (e) {
        errors++;
        firstError ??= e instanceof Error ? e.message : String(e);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(inflight, total) }, lane));
  if (tick) clearInterval(tick);
  return { acked, errors, firstError, seconds: (performance.now() - start) / 1000, latency };
}
