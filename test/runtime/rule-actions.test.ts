/**
 * Rule actions across a crash, inside workerd: a firing's actions are stored in the write that
 * fired them and deleted once they ran; a new life of the object runs what the last one left,
 * woken by the alarm that write armed if nothing else wakes it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { inDeviceObject } from "./helpers";
import { RuleActions } from "../../durable-objects/device/rule-actions";
import { AlarmScheduler } from "../../durable-objects/shared/alarms";
import type { StoredRule } from "../../durable-objects/device/rule-types";
import type { LiveStreams } from "../../durable-objects/device/live-streams";
import type { OwnTopics } from "../../durable-objects/device/own-topics";
import type { ShardClient } from "../../durable-objects/routing/shard-client";
import type { Message } from "../../protocols/mqtt";

const rule: StoredRule = { id: "r1", name: "hot", sql: "SELECT temp FROM telemetry WHERE temp > 30", version: 1, actions: [{ type: "publish", channel: "alerts" }] };
const turns = () => new Promise((r) => setTimeout(r, 10));

/** A RuleActions whose channel publishes go to `publish` (everything else is inert). */
function actions(state: DurableObjectState, publish: (m: Message) => Promise<void>): RuleActions {
  const streams = { emit: () => undefined } as unknown as LiveStreams;
  const own = { publish: () => undefined } as unknown as OwnTopics;
  const shards = { publish } as unknown as ShardClient;
  const self = { command: async () => undefined, desired: () => undefined };
  return new RuleActions(env, state.storage.sql, () => "ra-dev", streams, own, shards, self, new AlarmScheduler(state.storage));
}

describe("rule actions", () => {
  it("runs the actions a crash cut off when the object starts again, once", async () => {
    const out = await inDeviceObject("rule-actions-resume", async (state) => {
      const sql = state.storage.sql;
      const pending = () => sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM rule_pending`).one().n;
      // The first life fires the rule; its publish never completes (the hub is killed meanwhile).
      actions(state, () => new Promise<void>(() => undefined)).run(rule, { output: { temp: 35 }, at: 1 });
      await turns();
      const left = pending();
      // Its write armed the alarm: a device that never comes back still gets a new life that runs it.
      const alarm = await state.storage.getAlarm();
      const sent: string[] = [];
      const next = actions(state, async (m) => void sent.push(`${m.topic} ${new TextDecoder().decode(m.payload)}`));
      next.resume();
      await turns();
      next.resume(); // again: what runs or ran is not run twice
      // A firing of this life runs and is cleared as before.
      next.run(rule, { output: { temp: 36 }, at: 2 });
      await turns();
      return { left, alarmIn: alarm === null ? null : alarm - Date.now(), sent, after: pending() };
    });
    // Before: nothing was stored, and the cut-off firing's message never went out.
    expect(out.left).toBe(1);
    // Before: no alarm (null) unless the device had one for another reason.
    expect(out.alarmIn).not.toBeNull();
    expect(out.alarmIn!).toBeLessThanOrEqual(5_000);
    expect(out.sent).toEqual(["channels/alerts/messages/rules/r1 {\"temp\":35}", "channels/alerts/messages/rules/r1 {\"temp\":36}"]);
    expect(out.after).toBe(0);
  });
});
