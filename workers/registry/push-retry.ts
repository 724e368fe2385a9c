/**
 * Makes the parked pushes that are due again (parked-pushes.ts): access pushes computed afresh
 * from the registry as it is now, in batches; the other calls one by one. Those that get through
 * are forgotten, the others wait longer.
 */
import type { Env } from "../../durable-objects/env";
import { retryTransient } from "../fan-out";
import { pushDevices, pushOwners } from "./access";
import { call, done, due, failedAgain, type Parked } from "./parked-pushes";

/**
 * Runs once: from the cron trigger, and in the background of a request now and then.
 * @returns how many pushes were due and how many of them failed again
 */
export async function retryParkedPushes(env: Env, now = Date.now()): Promise<{ retried: number; failed: number }> {
  const parked = await due(env, now);
  let failed = 0;
  const settle = async (p: Parked, outcome: { ok: true } | { ok: false; err: unknown }) => {
    if (outcome.ok) return done(env, p);
    failed++;
    await failedAgain(env, p, outcome.err, now);
  };
  for (const kind of ["device-access", "owner-access"] as const) {
    const mine = parked.filter((p) => p.kind === kind);
    if (mine.length === 0) continue;
    const failures = await (kind === "device-access" ? pushDevices : pushOwners)(env, mine.map((p) => p.id));
    for (const p of mine) await settle(p, failures.has(p.id) ? { ok: false, err: failures.get(p.id) } : { ok: true });
  }
  for (const p of parked) {
    if (p.kind === "device-access" || p.kind === "owner-access") continue;
    await settle(p, await retryTransient(() => call(env, p)).then(() => ({ ok: true }) as const, (err: unknown) => ({ ok: false, err }) as const));
  }
  return { retried: parked.length, failed };
}
