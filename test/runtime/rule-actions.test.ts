/**
 * Rule actions across a crash, inside workerd: a firing's actions are stored in the write that
 * fired them and deleted once they ran; a new life of the object runs what the last one left,
 * woken by the alarm that write armed if nothing else wakes it.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { call, inDeviceObject, json } from "./helpers";
import { RULE_ACTION_ATTEMPTS, RuleActions } from "../../durable-objects/device/rule-actions";
import { AlarmScheduler } from "../../durable-objects/shared/alarms";
import type { StoredRule } from "../../durable-objects/device/rule-types";
import type { LiveStreams } from "../../durable-objects/device/live-streams";
import type { OwnTopics } from "../../durable-objects/device/own-topics";
import type { ShardClient } from "../../durable-objects/routing/shard-client";
import type { Message } from "../../protocols/mqtt";

const rule: StoredRule = { id: "r1", name: "hot", sql: "SELECT temp FROM telemetry WHERE temp > 30", version: 1, actions: [{ type: "publish", channel: "alerts" }] };
const turns = () => new Promise((r) => setTimeout(r, 10));

/** A RuleActions whose channel publishes go to `publish` (everything else is inert). */
function actions(state: DurableObjectState, publish: (m: Message) => Promise<void>, command: (name: string) => Promise<unknown> = async () => ({})): RuleActions {
  const streams = { emit: () => undefined } as unknown as LiveStreams;
  const own = { publish: () => undefined } as unknown as OwnTopics;
  const shards = { publish } as unknown as ShardClient;
  const self = { command, desired: () => undefined };
  return new RuleActions(env, state.storage.sql, () => "ra-dev", streams, own, shards, self, new AlarmScheduler(state.storage));
}

describe("rule actions", () => {
  beforeAll(async () => {
    await json(call("POST", "/v1/channels", { body: { id: "alerts" } }), 201);
  });

  it("drops (and logs) a publish to a channel deleted since the rule was made, instead of sending it", async () => {
    await json(call("POST", "/v1/channels", { body: { id: "gone" } }), 201);
    await call("DELETE", "/v1/channels/gone");
    const errors: string[] = [];
    const log = console.error;
    console.error = (...args: unknown[]) => void errors.push(args.join(" "));
    try {
      const out = await inDeviceObject("rule-actions-gone", async (state) => {
        const sent: string[] = [];
        actions(state, async (m) => void sent.push(m.topic)).run({ ...rule, actions: [{ type: "publish", channel: "gone" }] }, { output: { temp: 40 }, at: 1 });
        await turns();
        return { sent, pending: state.storage.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM rule_pending`).one().n };
      });
      expect(out).toEqual({ sent: [], pending: 0 });
    } finally {
      console.error = log;
    }
    expect(errors.join("\n")).toMatch(/publish action failed \(dropped\): no channel gone in the registry/);
  });

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

  it("tries a failed action again from the alarm with backoff, drops one that cannot run, and gives up after its attempts", async () => {
    const out = await inDeviceObject("rule-actions-retry", async (state) => {
      const sql = state.storage.sql;
      const row = () => sql.exec<{ actions: string; attempts: number; retry_at: number }>(`SELECT actions, attempts, retry_at FROM rule_pending`).toArray()[0] ?? null;
      let failures = 1;
      const sent: string[] = [];
      const a = actions(state, async (m) => {
        if (failures-- > 0) throw new Error("shard reset");
        sent.push(new TextDecoder().decode(m.payload));
      });
      // A publish that fails once, and a command to a device the registry does not hold.
      const both: StoredRule = { ...rule, actions: [...rule.actions, { type: "command", deviceId: "ra-not-registered", name: "reboot" }] };
      const firedAt = Date.now();
      a.run(both, { output: { temp: 40 }, at: 3 });
      await turns();
      // Before: both were logged and dropped, the row deleted.
      const kept = row();
      const alarm = await state.storage.getAlarm();
      a.resume(firedAt); // not due yet: nothing runs
      await turns();
      const early = [...sent];
      a.onAlarm(kept!.retry_at); // the alarm at the retry time
      await turns();
      const retried = { sent: [...sent], row: row() };
      // One that always fails: given up after its attempts.
      const never = actions(state, async () => {
        throw new Error("down");
      });
      never.run(rule, { output: { temp: 41 }, at: 4 });
      await turns();
      let attempts = 1;
      for (let now = Date.now(); row() && attempts < RULE_ACTION_ATTEMPTS + 2; attempts++) {
        now = row()!.retry_at;
        never.resume(now);
        await turns();
      }
      return { kept, alarmAt: alarm, firedAt, early, retried, attempts, left: row() };
    });
    expect(JSON.parse(out.kept!.actions)).toEqual(rule.actions); // the command is dropped, the publish kept
    expect(out.kept!.attempts).toBe(1);
    expect(out.kept!.retry_at - out.firedAt).toBeGreaterThanOrEqual(4_000);
    expect(out.kept!.retry_at - out.firedAt).toBeLessThanOrEqual(6_500);
    expect(out.alarmAt).not.toBeNull();
    expect(out.alarmAt!).toBeLessThanOrEqual(out.kept!.retry_at);
    expect(out.early).toEqual([]);
    expect(out.retried).toEqual({ sent: ['{"temp":40}'], row: null });
    expect(out.attempts).toBe(RULE_ACTION_ATTEMPTS);
    expect(out.left).toBeNull();
  });

  it("keeps a command for a full queue and queues it when the retry comes (it was dropped as if queued)", async () => {
    const out = await inDeviceObject("rule-actions-full-queue", async (state) => {
      const sql = state.storage.sql;
      const row = () => sql.exec<{ attempts: number; retry_at: number }>(`SELECT attempts, retry_at FROM rule_pending`).toArray()[0] ?? null;
      let full = true;
      const queued: string[] = [];
      // The device's own queue: full (null) at first, then with room.
      const a = actions(state, async () => undefined, async (name) => (full ? null : (queued.push(name), { id: "cmd_1" })));
      a.run({ ...rule, actions: [{ type: "command", name: "cool-down" }] }, { output: { temp: 50 }, at: 5 });
      await turns();
      const kept = row();
      full = false;
      a.resume(kept!.retry_at);
      await turns();
      return { kept, queued, left: row() };
    });
    expect(out.kept).toMatchObject({ attempts: 1 });
    expect(out.queued).toEqual(["cool-down"]);
    expect(out.left).toBeNull();
  });
});
