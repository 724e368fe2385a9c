/**
 * A request that changes something runs to its end even when its client hangs up. Deployed, a
 * client that disconnects ends its Worker invocation: whatever the handler had not yet done is
 * dropped, except work handed to `waitUntil` (up to 30 s more). A change is a D1 write followed
 * by calls that tell the objects concerned (a revoked credential's session, a policy's devices);
 * cut between the two, the registry would have changed while live sessions kept what it took
 * away, and nothing parked to retry (registry/parked-pushes.ts covers calls that fail, not calls
 * never made). Reads are left to end with their client.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

export function outliveHangup(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (READS.has(c.req.method)) return next();
    const run = next();
    try {
      c.executionCtx.waitUntil(run.catch(() => undefined));
    } catch {
      // no execution context (a test calling the app directly): nothing outlives it anyway
    }
    await run;
  };
}
