/**
 * The simulator's devices: `<prefix><n>` for n = 1…count (zero-padded to the width of count),
 * created when missing and reused when present. A reused device gets a token of its own for the
 * run (the hub never shows an old one again), revoked when the run ends.
 */
import type { App } from "../../sdk/node";
import { mapLimit } from "../../bench/lib/admin";
import { call } from "../lib/hub";

/** A device ready to connect. */
export interface Provisioned {
  id: string;
  token: string;
  /** The credential issued for this run on a reused device (revoked at the end). */
  issued: string | null;
}

/** The ids of a fleet: `sim-0001` … `sim-1000` for count 1000. */
export function fleetIds(prefix: string, count: number): string[] {
  const width = String(count).length;
  return Array.from({ length: count }, (_, i) => `${prefix}${String(i + 1).padStart(width, "0")}`);
}

/** Which of the fleet's ids the hub already has (one listing by prefix, page by page). */
async function existing(app: App, prefix: string): Promise<Set<string>> {
  const have = new Set<string>();
  let cursor: string | undefined;
  do {
    const page = await call(app, app.api.GET("/v1/devices", { params: { query: { prefix, limit: 100, cursor } } }));
    for (const d of page.items) have.add(d.id);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return have;
}

/** Creates or reuses every device, `concurrency` requests at a time; `progress(done)` as they finish. */
export async function provision(app: App, prefix: string, count: number, concurrency: number, progress: (done: number) => void): Promise<Provisioned[]> {
  const have = await existing(app, prefix);
  let done = 0;
  return mapLimit(fleetIds(prefix, count), concurrency, async (id) => {
    let out: Provisioned;
    if (have.has(id)) {
      const c = await call(app, app.api.POST("/v1/devices/{id}/credentials", { params: { path: { id } } }));
      out = { id, token: c.token, issued: c.id };
    } else {
      const c = await call(app, app.api.POST("/v1/devices", { body: { id, tags: ["simulated"] } }));
      out = { id, token: c.credential.token, issued: null };
    }
    progress(++done);
    return out;
  });
}

/** Revokes the credentials issued for this run. */
export async function release(app: App, devices: readonly Provisioned[], concurrency: number): Promise<void> {
  const issued = devices.filter((d): d is Provisioned & { issued: string } => d.issued !== null);
  await mapLimit(issued, concurrency, (d) => call(app, app.api.DELETE("/v1/devices/{id}/credentials/{credId}", { params: { path: { id: d.id, credId: d.issued } } })));
}
