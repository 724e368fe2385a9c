/**
 * Now and then (at most every few seconds per isolate), a request carries a retry of the pushes
 * parked in D1 in its background (registry/parked-pushes.ts): locally `wrangler dev` runs no
 * cron trigger, and deployed this reaches a parked push between the cron's minutes.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../app-env";
import { logError } from "../../protocols/log-text";
import { checkNow } from "../registry/parked-pushes";
import { retryParkedPushes } from "../registry/push-retry";

export function retryParked(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (checkNow()) {
      const retry = retryParkedPushes(c.env).catch((err: unknown) => console.error(`retrying parked pushes failed: ${logError(err)}`));
      try {
        c.executionCtx.waitUntil(retry);
      } catch {
        await retry; // no execution context (a test calling the app directly): finish it here
      }
    }
    await next();
  };
}
