/**
 * Group and tag filters of a webhook, applied in its object: whether a device is a member,
 * read from the D1 registry and cached for a few seconds (a membership change reaches a
 * webhook within CACHE_MS; a webhook is not an MQTT session, so MQTT's "in force at SUBACK"
 * promise does not apply). One D1 query per batch for the devices not cached. The SQL names
 * tables and columns of `workers/db/schema.ts` (`group_members`, `devices.tags`); objects do
 * not import the Worker's drizzle schema, and test/runtime/webhook-object.test.ts runs these
 * queries against the migrated registry.
 */
import { listPlaceholders } from "../shared/placeholders";

const CACHE_MS = 10_000;
const CACHE_MAX = 10_000;
/** D1 binds at most 100 parameters per statement. */
const CHUNK = 90;

/** A group or tag filter. */
export type MembershipFilter = { group: string } | { tag: string };

/** Group and tag membership of devices, from D1, cached per device for CACHE_MS. */
export class Membership {
  private readonly cache = new Map<string, { member: boolean; until: number }>();
  private key = "";

  constructor(private readonly db: D1Database) {}

  /** The device ids of `deviceIds` that pass `filter` (each looked up at most once per CACHE_MS). */
  async members(filter: MembershipFilter, deviceIds: readonly string[], now: number): Promise<Set<string>> {
    const key = JSON.stringify(filter);
    if (key !== this.key || this.cache.size > CACHE_MAX) {
      this.cache.clear();
      this.key = key;
    }
    const unknown = [...new Set(deviceIds)].filter((id) => (this.cache.get(id)?.until ?? 0) <= now);
    for (let i = 0; i < unknown.length; i += CHUNK) {
      const chunk = unknown.slice(i, i + CHUNK);
      const found = new Set(await this.lookup(filter, chunk));
      for (const id of chunk) this.cache.set(id, { member: found.has(id), until: now + CACHE_MS });
    }
    return new Set(deviceIds.filter((id) => this.cache.get(id)?.member === true));
  }

  private async lookup(filter: MembershipFilter, ids: string[]): Promise<string[]> {
    const marks = listPlaceholders(ids.length);
    const stmt =
      "group" in filter
        ? this.db.prepare(`SELECT device_id AS id FROM group_members WHERE group_name = ? AND device_id IN (${marks})`).bind(filter.group, ...ids)
        : this.db.prepare(`SELECT id FROM devices WHERE id IN (${marks}) AND EXISTS (SELECT 1 FROM json_each(devices.tags) WHERE json_each.value = ?)`).bind(...ids, filter.tag);
    const { results } = await stmt.all<{ id: string }>();
    return results.map((r) => r.id);
  }
}

/**
 * Marks a webhook disabled in the registry (`webhooks` of `workers/db/schema.ts`): the object
 * does this itself when its endpoint failed for a day — only if the row is still the one its
 * settings came from (`seen`, the row's `updated_at`), so a change made meanwhile (a PATCH
 * re-enabling it, whose settings are on their way to the object) is not overwritten.
 * @returns whether the row was marked
 */
export async function markDisabled(db: D1Database, webhookId: string, reason: string, now: number, seen: number | undefined): Promise<boolean> {
  const r = await db
    .prepare(`UPDATE webhooks SET enabled = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND enabled = 1 AND (?4 IS NULL OR updated_at = ?4)`)
    .bind(reason, now, webhookId, seen ?? null)
    .run();
  return r.meta.changes > 0;
}
