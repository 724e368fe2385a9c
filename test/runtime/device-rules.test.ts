/**
 * DeviceRules when the registry does not answer: an alarm that cannot load the rules retries a
 * few seconds later instead of firing again at once from deadlines that are all past.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { DeviceRules } from "../../durable-objects/device/device-rules";
import { AlarmScheduler } from "../../durable-objects/shared/alarms";

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
});
