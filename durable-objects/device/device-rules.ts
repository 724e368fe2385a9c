/**
 * The device's rules, evaluated in its object as its data arrives — no central evaluator on the
 * message path. Rules come from the registry (D1: those scoped to all devices, to the device,
 * its groups or its tags), compiled once per version; each rule's state is a row here, written
 * with the event that changed it, so FOR runs, hysteresis and windows survive restarts and
 * hibernation; the object's alarm drives FOR deadlines and window expiry.
 */
import { compileRule, evaluate, tick, type CompiledRule, type Firing, type RuleEvent, type RuleResult, type RuleSource } from "../../rules";
import { logError, logText } from "../../protocols/log-text";
import type { AlarmScheduler } from "../shared/alarms";
import type { RuleAction, StoredRule } from "./rule-types";

/** How soon an alarm that could not load the rules tries again. */
const RELOAD_RETRY_MS = 5_000;

interface LoadedRule extends StoredRule {
  compiled: CompiledRule;
}

/** What a firing is handed to; `depth` counts the firings that led to the event that fired it. */
export type FiringHandler = (rule: StoredRule, firing: Firing, depth: number) => void;

const SCHEMA = `CREATE TABLE IF NOT EXISTS rule_state (rule_id TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL, wake_at INTEGER)`;

/** The rules that apply to a device now (D1), for its object. */
async function loadRules(db: D1Database, deviceId: string): Promise<StoredRule[]> {
  const rows = await db
    .prepare(
      `SELECT id, name, sql, version, actions FROM rules WHERE enabled = 1 AND (
         scope_kind = 'all'
         OR (scope_kind = 'device' AND scope_value = ?1)
         OR (scope_kind = 'group' AND scope_value IN (SELECT group_name FROM group_members WHERE device_id = ?1))
         OR (scope_kind = 'tag' AND scope_value IN (SELECT value FROM devices, json_each(devices.tags) WHERE devices.id = ?1)))`,
    )
    .bind(deviceId)
    .all<{ id: string; name: string; sql: string; version: number; actions: string }>();
  return rows.results.map((r) => ({ id: r.id, name: r.name, sql: r.sql, version: r.version, actions: JSON.parse(r.actions) as RuleAction[] }));
}

export class DeviceRules {
  private rules: LoadedRule[] | null = null;
  private loading: Promise<void> | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly db: D1Database,
    private readonly deviceId: () => string,
    private readonly alarms: AlarmScheduler,
    private readonly fire: FiringHandler,
  ) {
    sql.exec(SCHEMA);
  }

  /** Whether the rules are here (then `ready()` has nothing to wait for). */
  get loaded(): boolean {
    return this.rules !== null;
  }

  /** Loads the device's rules once per object life (and again after `changed`). */
  ready(): Promise<void> {
    if (this.rules) return Promise.resolve();
    this.loading ??= loadRules(this.db, this.deviceId())
      .then(async (stored) => {
        this.rules = stored.flatMap((r) => {
          const c = compileRule(r.sql);
          if (!c.ok) {
            console.error(`rule ${logText(r.id)} does not compile: ${logText(c.error.message)}`);
            return [];
          }
          return [{ ...r, compiled: c.rule }];
        });
        // The state of rules gone since: found here, not bound as a list (a device may have
        // more rules than the 100 values a statement binds).
        const live = new Set(this.rules.map((r) => r.id));
        for (const { rule_id } of this.sql.exec<{ rule_id: string }>(`SELECT rule_id FROM rule_state`).toArray()) {
          if (!live.has(rule_id)) this.sql.exec(`DELETE FROM rule_state WHERE rule_id = ?`, rule_id);
        }
        await this.schedule();
      })
      .catch((err: unknown) => console.error(`DeviceObject ${logText(this.deviceId())}: rules not loaded: ${logError(err)}`))
      .finally(() => {
        this.loading = null;
      });
    return this.loading;
  }

  /** The registry changed rules that may apply here: reload before the next event. */
  async changed(): Promise<void> {
    this.rules = null;
    await this.ready();
  }

  /** Whether any rule reads `source` (cheap: lets the hot path skip building events). */
  wants(source: RuleSource): boolean {
    return (this.rules ?? []).some((r) => r.compiled.source === source);
  }

  /**
   * Evaluates an event against every rule of its source, writing each rule's state (call inside
   * the write that stored the event), and hands firings on. Rules that were not loaded yet see
   * nothing: entry points await `ready()` first.
   */
  onEvent(event: RuleEvent, now: number, depth = 0): void {
    const rules = (this.rules ?? []).filter((r) => r.compiled.source === event.source);
    if (rules.length === 0) return;
    for (const rule of rules) this.apply(rule, evaluate(rule.compiled, this.stateOf(rule), event, { deviceId: this.deviceId(), now }), depth);
    void this.schedule();
  }

  /** From the object's alarm: FOR deadlines and window expiry that fell due. */
  async onAlarm(now: number): Promise<void> {
    await this.ready();
    // Not loaded (the registry did not answer): try again a little later. Scheduling from the
    // stored deadlines, all past, would fire this alarm again at once, in a loop, until D1 is back.
    if (!this.rules) return this.alarms.set("rules", now + RELOAD_RETRY_MS);
    for (const rule of this.rules) {
      const wake = this.sql.exec<{ wake_at: number | null }>(`SELECT wake_at FROM rule_state WHERE rule_id = ?`, rule.id).toArray()[0]?.wake_at;
      if (wake === null || wake === undefined || wake > now) continue;
      this.apply(rule, tick(rule.compiled, this.stateOf(rule), { deviceId: this.deviceId(), now }));
    }
    await this.schedule();
  }

  private stateOf(rule: LoadedRule): unknown {
    const row = this.sql.exec<{ version: number; state: string }>(`SELECT version, state FROM rule_state WHERE rule_id = ?`, rule.id).toArray()[0];
    // An edited rule whose meaning changed starts fresh: the evaluator checks its fingerprint.
    return row ? (JSON.parse(row.state) as unknown) : null;
  }

  private apply(rule: LoadedRule, r: RuleResult, depth = 0): void {
    this.sql.exec(
      `INSERT INTO rule_state (rule_id, version, state, wake_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (rule_id) DO UPDATE SET version = excluded.version, state = excluded.state, wake_at = excluded.wake_at`,
      rule.id,
      rule.version,
      JSON.stringify(r.state),
      r.wakeAt,
    );
    for (const f of r.firings) {
      try {
        this.fire(rule, f, depth);
      } catch (err) {
        console.error(`rule ${logText(rule.id)} action failed: ${logError(err)}`);
      }
    }
  }

  private async schedule(): Promise<void> {
    const next = this.sql.exec<{ t: number | null }>(`SELECT MIN(wake_at) AS t FROM rule_state`).one().t;
    await this.alarms.set("rules", next);
  }
}
