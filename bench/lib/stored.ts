/** Proof of durability over REST: every acknowledged stamped message must be a stored telemetry row. */
import { mapLimit, type Admin } from "./admin";
import type { Tally } from "./tally";

/**
 * Counts messages of `tally`'s round that publisher `p` (device `deviceIds[p]`) had
 * acknowledged but that are missing from the device's stored telemetry.
 */
export async function storedLoss(admin: Admin, deviceIds: readonly string[], tally: Tally): Promise<number> {
  const missing = await mapLimit(deviceIds, 4, async (id, p) => {
    const rows = await admin.telemetry(id);
    const stored = new Set<number>();
    for (const row of rows) {
      const d = row.data;
      if (d.r === tally.round && d.p === p && typeof d.s === "number") stored.add(d.s);
    }
    return tally.ackedSeqs(p).filter((s) => !stored.has(s)).length;
  });
  return missing.reduce((a, b) => a + b, 0);
}
