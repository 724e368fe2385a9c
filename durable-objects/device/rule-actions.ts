/**
 * What a rule's firing does: it shows in the device's live stream and on
 * `devices/<id>/rules/<ruleId>` (so apps and webhooks subscribed to rule events get it), and
 * its actions run: a webhook event, a command to this or another device, a desired state on a
 * shadow, a message on a channel. Actions run after the write that fired them; a failing one is
 * logged and the others still run.
 */
import type { Env } from "../env";
import type { JsonObject, JsonValue } from "../../protocols/json-value";
import type { Message } from "../../protocols/mqtt";
import type { Firing } from "../../rules";
import { logError, logText } from "../../protocols/log-text";
import { deliverToWebhook } from "../webhook/direct";
import type { ShardClient } from "../routing/shard-client";
import type { LiveStreams } from "./live-streams";
import type { OwnTopics } from "./own-topics";
import type { RuleAction, StoredRule } from "./rule-types";

const encoder = new TextEncoder();

/** Another device's object, as far as actions call it (RPC types give up on recursive JSON). */
interface OtherDevice {
  enqueueCommand(name: string, payload: JsonValue): Promise<unknown>;
  shadow(name: string, input: unknown, depth: number): Promise<unknown>;
}

/**
 * How many rule firings may lead one to another (a rule's desired state firing a rule on
 * `shadow.desired`, here or on another device): beyond, the firing still shows but its actions
 * do not run, so a rule that answers its own action cannot loop until the object runs out of memory.
 */
export const RULE_CASCADE_MAX = 8;

/** Actions on the device itself, done in its own object. */
export interface SelfActions {
  command(name: string, payload: JsonValue): Promise<unknown>;
  desired(shadow: string, state: JsonObject, depth: number): unknown;
}

export class RuleActions {
  constructor(
    private readonly env: Env,
    private readonly deviceId: () => string,
    private readonly streams: LiveStreams,
    private readonly own: OwnTopics,
    private readonly shards: ShardClient,
    private readonly self: SelfActions,
  ) {}

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
    queueMicrotask(() => {
      for (const action of rule.actions) {
        this.act(action, firing.output, message, depth + 1).catch((err: unknown) => console.error(`DeviceObject ${logText(id)}: rule ${logText(rule.id)} ${action.type} action failed: ${logError(err)}`));
      }
    });
  }

  /** Another device's object, if the registry still holds it (it may be deleted since the rule was made): none is made for an unknown id. */
  private async other(deviceId: string): Promise<OtherDevice> {
    const registered = await this.env.DB.prepare(`SELECT 1 AS one FROM devices WHERE id = ?`).bind(deviceId).first();
    if (!registered) throw new Error(`no device ${logText(deviceId)} in the registry`);
    return this.env.DEVICE.get(this.env.DEVICE.idFromName(deviceId)) as unknown as OtherDevice;
  }

  private async act(action: RuleAction, output: JsonObject, message: Message, depth: number): Promise<void> {
    const self = this.deviceId();
    switch (action.type) {
      case "webhook":
        return deliverToWebhook(this.env, action.webhookId, [message]);
      case "command": {
        const payload = action.payload ?? output;
        if (action.deviceId === undefined || action.deviceId === self) await this.self.command(action.name, payload);
        else await (await this.other(action.deviceId)).enqueueCommand(action.name, payload);
        return;
      }
      case "shadow.desired":
        if (action.deviceId === undefined || action.deviceId === self) this.self.desired(action.shadow ?? "", action.state, depth);
        else await (await this.other(action.deviceId)).shadow(action.shadow ?? "", { kind: "update", state: { desired: action.state } }, depth);
        return;
      case "publish":
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
