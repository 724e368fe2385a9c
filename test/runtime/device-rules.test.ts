/**
 * DeviceRules when the registry does not answer: an alarm that cannot load the rules retries a
 * few seconds later instead of firing again at once from deadlines that are all past.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { DeviceRules } from "../../durable-objects/device/device-rules";
import { AlarmScheduler } from "../../durable-objects/shared/alarms";
import { call, json } from "./helpers";
import { MAX_RULES } from "../../workers/registry/rules";

const failingDb = { prepare: () => { throw new Error("D1 unavailable"); } } as unknown as D1Database;

describe("DeviceRules", () => {
  it("retries later, not at once, when an alarm cannot load the rules", async () => {
    const stub = env.DEVICE.get(env.DEVICE.idFromName("rules-d1-down"));
    const alarmAt = await runInDurableObject(stub, async (_o, state) => {
      const alarms = new AlarmScheduler(state.storage);
      const rules = new DeviceRules(state.storage.sql, failingDb, () => "rules-d1-down", alarms, () => undefined);
      // A FOR deadline stored before a restart, long past now.
      state.storage.sql.exec(`INSERT INTO rule_state (rule_id, version, state, wake_at) VALUES ('r1', 1, '{}', 1000)`);
      await rules.onAlarm(Date.now());
      return state.storage.getAlarm();
    });
    expect(alarmAt).not.toBeNull();
    expect(alarmAt! - Date.now()).toBeGreaterThan(2_000);
  });

  it("loads more rules than a statement binds values, and drops the state of rules gone since", async () => {
    await json(call("POST", "/v1/devices", { body: { id: "rules-many" } }), 201);
    for (let i = 0; i < 120; i++) {
      await json(call("POST", "/v1/rules", { body: { id: `many-${i}`, name: `r${i}`, sql: "SELECT * FROM telemetry WHERE t > 1", scope: { kind: "device", deviceId: "rules-many" } } }), 201);
    }
    const stub = env.DEVICE.get(env.DEVICE.idFromName("rules-many"));
    const errors: unknown[] = [];
    const left = await runInDurableObject(stub, async (_o, state) => {
      const rules = new DeviceRules(state.storage.sql, env.DB, () => "rules-many", new AlarmScheduler(state.storage), () => undefined);
      state.storage.sql.exec(`INSERT INTO rule_state (rule_id, version, state, wake_at) VALUES ('gone', 1, '{}', NULL), ('many-7', 1, '{}', NULL)`);
      const log = console.error;
      console.error = (...args: unknown[]) => void errors.push(args);
      try {
        await rules.ready();
      } finally {
        console.error = log;
      }
      return state.storage.sql.exec<{ rule_id: string }>(`SELECT rule_id FROM rule_state ORDER BY rule_id`).toArray().map((r) => r.rule_id);
    });
    expect(errors).toEqual([]);
    expect(left).toEqual(["many-7"]);
  });

  it("holds at most MAX_RULES rules: each of a device's messages is matched against every rule in its scope", async () => {
    const { n } = (await env.DB.prepare("SELECT COUNT(*) AS n FROM rules").first<{ n: number }>())!;
    const insert = env.DB.prepare("INSERT INTO rules (id, name, sql, scope_kind, scope_value, actions, enabled, version, created_at, updated_at) VALUES (?, 'x', 'SELECT * FROM telemetry', 'device', 'nobody', '[]', 1, 1, 0, 0)");
    await env.DB.batch(Array.from({ length: MAX_RULES - 1 - n }, (_, i) => insert.bind(`cap-${i}`)));
    const create = (id: string) => call("POST", "/v1/rules", { body: { id, name: id, sql: "SELECT * FROM telemetry", scope: { kind: "device", deviceId: "nobody" } } });
    await json(create("cap-last"), 201);
    expect(await json<{ detail: string }>(create("cap-over"), 409)).toMatchObject({ detail: `A hub holds at most ${MAX_RULES} rules` });
    expect(await json<{ detail: string }>(create("cap-last"), 409)).toMatchObject({ detail: 'Rule "cap-last" already exists' });
    await json(call("DELETE", "/v1/rules/cap-last"), 204);
    await json(create("cap-over"), 201);
  });
});
