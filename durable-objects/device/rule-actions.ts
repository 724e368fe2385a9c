/**
 * What a rule's firing does: it shows in the device's live stream and on
 * `devices/<id>/rules/<ruleId>` (so apps and webhooks subscribed to rule events get it), and
 * its actions run: a webhook event, a command to this or another device, a desired state on a
 * shadow, a message on a channel. Actions run after the write that fired them; a failing one is
 * logged and the others still run.
 *
 * At least once across a crash: the firing's actions are written to `rule_pending` in the write
 * that fired them and deleted once they ran; what a crash or restart left there runs when the
 * object next starts ({@link RuleActions.resume}), at the latest from the alarm that write armed
 * ({@link RESUME_MS} ahead, once until the alarm ran: a device that never comes back still gets
 * its firings' actions run). A crash after the actions and before the delete runs them again (a
 * command queued twice, say): never none. An action that fails for a reason that may pass (a call
 * to another object that failed or timed out, a shard being reset, a full command queue) stays stored, alone, and is
 * tried again from the alarm with the webhooks' backoff (5 s, 30 s, 2 min, 10 min, 1 h), up to
 * {@link RULE_ACTION_ATTEMPTS} attempts; one that cannot succeed (its device is gone from the
 * registry) is logged and dropped.
 */
import type { Env } from "../env";
import type { JsonObject, JsonValue } from "../../protocols/json-value";
import type { Message } from "../../protocols/mqtt";
import type { Firing } from "../../rules";
import { logError, logText } from "../../protocols/log-text";
import { deliverToWebhook } from "../webhook/direct";
import type { ShardClient } from "../routing/shard-client";
import type { AlarmScheduler } from "../shared/alarms";
import { RESUME_MS } from "../shared/outbox";
import { retryDelay } from "../webhook/backoff";
import type { LiveStreams } from "./live-streams";
import type { OwnTopics } from "./own-topics";
import type { RuleAction, StoredRule } from "./rule-types";
import { addColumnIfMissing } from "../shared/add-column";
import { channelRegistered, deviceRegistered } from "./registered";

const encoder = new TextEncoder();

/** Another device's object, as far as actions call it (RPC types give up on recursive JSON). */
interface OtherDevice {
  enqueueCommand(name: string, payload: JsonValue, ttlSeconds: number | undefined, depth: number): Promise<unknown>;
  shadow(name: string, input: unknown, depth: number): Promise<unknown>;
}

/**
 * How many rule firings may lead one to another (a rule's desired state firing a rule on
 * `shadow.desired`, or its command's result one on `command.result`, here or on another device): beyond, the firing still shows but its actions
 * do not run, so a rule that answers its own action cannot loop until the object runs out of memory.
 */
export const RULE_CASCADE_MAX = 8;

/** How many times a failing action is tried before it is given up (logged). */
export const RULE_ACTION_ATTEMPTS = 6;

/** An action that cannot succeed however often it is tried: dropped, not retried. */
class Unrunnable extends Error {}

/** Actions on the device itself, done in its own object. */
export interface SelfActions {
  command(name: string, payload: JsonValue, depth: number): Promise<unknown>;
  desired(shadow: string, state: JsonObject, depth: number): unknown;
}

/** A firing whose actions have not all run yet, as stored. */
type PendingRow = {
  seq: number;
  rule_id: string;
  actions: string;
  output: string;
  topic: string;
  payload: ArrayBuffer;
  depth: number;
  /** Attempts that failed so far (the actions left are the ones that failed). */
  attempts: number;
  /** Not before this (epoch ms): the backoff after a failed attempt. */
  retry_at: number;
};

export class RuleActions {
  /** Rows this object life is running (a resume leaves them alone). */
  private readonly running = new Set<number>();
  /** Whether a stored firing armed the alarm since it last ran. */
  private resumeArmed = false;

  constructor(
    private readonly env: Env,
    private readonly sql: SqlStorage,
    private readonly deviceId: () => string,
    private readonly streams: LiveStreams,
    private readonly own: OwnTopics,
    private readonly shards: ShardClient,
    private readonly self: SelfActions,
    private readonly alarms: AlarmScheduler,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS rule_pending (seq INTEGER PRIMARY KEY AUTOINCREMENT, rule_id TEXT NOT NULL, actions TEXT NOT NULL,
      output TEXT NOT NULL, topic TEXT NOT NULL, payload BLOB NOT NULL, depth INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, retry_at INTEGER NOT NULL DEFAULT 0)`);
    addColumnIfMissing(sql, "rule_pending", "attempts", "INTEGER NOT NULL DEFAULT 0");
    addColumnIfMissing(sql, "rule_pending", "retry_at", "INTEGER NOT NULL DEFAULT 0");
  }

  /** From the alarm: runs what is due (see {@link resume}) and arms it for the next retry; the next stored firing arms it again too. */
  onAlarm(now = Date.now()): void {
    this.resumeArmed = false;
    this.resume(now);
    const next = this.sql.exec<{ at: number | null }>(`SELECT MIN(retry_at) AS at FROM rule_pending WHERE retry_at > ?`, now).one().at;
    if (next !== null) void this.arm(next);
  }

  /** Arms the device's alarm for rule actions at `at` (or keeps an earlier one); false when that failed (logged). */
  private arm(at: number): Promise<boolean> {
    return this.alarms.set("rule-actions", at).then(
      () => true,
      (err: unknown) => {
        console.error(`DeviceObject ${logText(this.deviceId())}: the alarm for rule actions was not armed: ${logError(err)}`);
        return false;
      },
    );
  }

  /** Runs the actions of firings an earlier life stored but did not finish, and failed ones whose retry is due (those not running now). */
  resume(now = Date.now()): void {
    for (const r of this.sql.exec<PendingRow>(`SELECT * FROM rule_pending WHERE retry_at <= ? ORDER BY seq`, now).toArray()) {
      if (this.running.has(r.seq)) continue;
      const message: Message = { topic: r.topic, payload: new Uint8Array(r.payload), qos: 1, retain: false };
      this.start(r.seq, r.rule_id, JSON.parse(r.actions) as RuleAction[], JSON.parse(r.output) as JsonObject, message, r.depth, r.attempts);
    }
  }

  /** Announces a firing (inside the write that fired it) and runs its actions just after. */
  run(rule: StoredRule, firing: Firing, depth = 0): void {
    const id = this.deviceId();
    const event = { rule: rule.id, name: rule.name, output: firing.output, at: firing.at };
    this.streams.emit("rule.fired", event);
    const message: Message = { topic: `devices/${id}/rules/${rule.id}`, payload: encoder.encode(JSON.stringify(event)), qos: 1, retain: false };
    this.own.publish([message]);
    if (depth >= RULE_CASCADE_MAX) {
      if (rule.actions.length) console.warn(`DeviceObject ${logText(id)}: rule ${logText(rule.id)} fired ${depth} firings deep (a loop?): its actions did not run`);
      return;
    }
    if (rule.actions.length === 0) return;
    const seq = this.sql
      .exec<{ seq: number }>(
        `INSERT INTO rule_pending (rule_id, actions, output, topic, payload, depth) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq`,
        rule.id,
        JSON.stringify(rule.actions),
        JSON.stringify(firing.output),
        message.topic,
        message.payload,
        depth,
      )
      .one().seq;
    if (!this.resumeArmed) {
      this.resumeArmed = true;
      void this.arm(Date.now() + RESUME_MS).then((ok) => (this.resumeArmed &&= ok));
    }
    this.start(seq, rule.id, rule.actions, firing.output, message, depth);
  }

  /**
   * Runs a stored firing's actions just after the current write, then deletes its row, or keeps
   * the actions that failed for a reason that may pass and arms the alarm for their retry.
   */
  private start(seq: number, ruleId: string, actions: readonly RuleAction[], output: JsonObject, message: Message, depth: number, attempts = 0): void {
    const id = this.deviceId();
    this.running.add(seq);
    queueMicrotask(() => {
      const runs = actions.map((action) =>
        this.act(action, output, message, depth + 1).then(
          () => null,
          (err: unknown) => {
            const again = !(err instanceof Unrunnable) && attempts + 1 < RULE_ACTION_ATTEMPTS;
            const what = again ? "tried again later" : err instanceof Unrunnable ? "dropped" : `given up after ${attempts + 1} attempts`;
            console.error(`DeviceObject ${logText(id)}: rule ${logText(ruleId)} ${action.type} action failed (${what}): ${logError(err)}`);
            return again ? action : null;
          },
        ),
      );
      void Promise.all(runs).then((results) => {
        this.running.delete(seq);
        const failed = results.filter((a): a is RuleAction => a !== null);
        if (failed.length === 0) {
          this.sql.exec(`DELETE FROM rule_pending WHERE seq = ?`, seq);
          return;
        }
        const at = Date.now() + retryDelay(attempts + 1, RESUME_MS);
        this.sql.exec(`UPDATE rule_pending SET actions = ?, attempts = ?, retry_at = ? WHERE seq = ?`, JSON.stringify(failed), attempts + 1, at, seq);
        void this.arm(at);
      });
    });
  }

  /** Another device's object, if the registry still holds it (it may be deleted since the rule was made): none is made for an unknown id. */
  private async other(deviceId: string): Promise<OtherDevice> {
    if (!(await deviceRegistered(this.env.DB, deviceId))) throw new Unrunnable(`no device ${logText(deviceId)} in the registry`);
    return this.env.DEVICE.get(this.env.DEVICE.idFromName(deviceId)) as unknown as OtherDevice;
  }

  private async act(action: RuleAction, output: JsonObject, message: Message, depth: number): Promise<void> {
    const self = this.deviceId();
    switch (action.type) {
      case "webhook": {
        // A webhook deleted or disabled since the rule was made takes nothing: logged as dropped, like every action that cannot run.
        const outcome = await deliverToWebhook(this.env, action.webhookId, [message]);
        if (outcome !== "taken") throw new Unrunnable(`webhook ${logText(action.webhookId)} is ${outcome === "deleted" ? "deleted" : "disabled"}`);
        return;
      }
      case "command": {
        const payload = action.payload ?? output;
        const target = action.deviceId ?? self;
        const queued = target === self ? await this.self.command(action.name, payload, depth) : await (await this.other(target)).enqueueCommand(action.name, payload, undefined, depth);
        // A full queue drains as the device takes its commands: tried again with the backoff.
        if (queued === null) throw new Error(`the command queue of ${logText(target)} is full (COMMANDS_MAX_QUEUED)`);
        return;
      }
      case "shadow.desired":
        if (action.deviceId === undefined || action.deviceId === self) this.self.desired(action.shadow ?? "", action.state, depth);
        else await (await this.other(action.deviceId)).shadow(action.shadow ?? "", { kind: "update", state: { desired: action.state } }, depth);
        return;
      case "publish":
        if (!(await channelRegistered(this.env.DB, action.channel))) throw new Unrunnable(`no channel ${logText(action.channel)} in the registry`);
        await this.shards.publish({
          topic: `channels/${action.channel}/messages/${action.subtopic ?? `rules/${message.topic.split("/").at(-1) ?? "rule"}`}`,
          payload: encoder.encode(JSON.stringify(output)),
          qos: 1,
          retain: false,
          origin: self,
        });
        return;
    }
  }
}
