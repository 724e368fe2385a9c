/**
 * Rules as the device's object runs them: where a rule applies (its scope) and what a firing
 * does (its actions). Shared by the registry, which stores and validates them, and the object.
 */
import type { JsonObject, JsonValue } from "../../protocols/json-value";

/** The devices a rule applies to. */
export type RuleScope = { kind: "all" } | { kind: "group"; group: string } | { kind: "tag"; tag: string } | { kind: "device"; deviceId: string };

/**
 * What a firing does: a webhook event, a command to a device (this one when `deviceId` is
 * absent), a desired state on a device's shadow, a message on a channel. The firing's output
 * is the webhook's data, the command's payload (when none is given), the published payload.
 */
export type RuleAction =
  | { type: "webhook"; webhookId: string }
  | { type: "command"; deviceId?: string; name: string; payload?: JsonValue }
  | { type: "shadow.desired"; deviceId?: string; shadow?: string; state: JsonObject }
  | { type: "publish"; channel: string; subtopic?: string };

/** A rule as the object loads it. */
export interface StoredRule {
  id: string;
  name: string;
  sql: string;
  version: number;
  actions: RuleAction[];
}
