/**
 * The shapes of the hub's answers the console reads, as `/openapi.json` declares them (and, for
 * commands, methods, rules and webhooks, as the issue-10 contract does). Only the fields the
 * pages use; unknown extra fields are ignored.
 */
import type { JsonObject, JsonValue } from "../../../protocols/json-value";

/** JSON types shared with the hub's pure modules. */
export type { JsonObject, JsonValue };

/** A cursor page, as every list route returns. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Presence of a device (`GET /v1/devices/{id}`). */
export interface DeviceStatus {
  connected: boolean;
  protocol: string | null;
  remote_address?: string | null;
  connected_at?: string | null;
  disconnected_at?: string | null;
  last_seen?: string | null;
}

/** A registered device (`GET /v1/devices/{id}`; lists omit `status`). */
export interface Device {
  id: string;
  name: string | null;
  attributes: JsonObject;
  tags: string[];
  enabled: boolean;
  created_at: string;
  updated_at: string;
  status?: DeviceStatus;
}

/** A device credential's metadata (never its token). */
export interface Credential {
  id: string;
  device_id: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
  status: "active" | "expiring" | "expired" | "revoked";
}

/** A shadow document (AWS IoT): state, delta, metadata, version; timestamps in epoch seconds. */
export interface ShadowDocument {
  state?: { desired?: JsonObject; reported?: JsonObject; delta?: JsonObject };
  metadata?: JsonObject;
  version?: number;
  timestamp?: number;
}

/** A stored telemetry row. */
export interface TelemetrySample {
  ts: number;
  data: Record<string, JsonValue>;
}

/** One event of `/v1/devices/{id}/events`. */
export interface DeviceEvent {
  type: string;
  deviceId: string;
  ts: number;
  data: JsonValue;
}

/** Where a command is in its life. */
export type CommandStatus = "queued" | "delivered" | "completed" | "rejected" | "failed" | "expired";

/** A queued command and its outcome (issue-10 contract). */
export interface Command {
  id: string;
  device_id: string;
  name: string;
  payload: JsonValue;
  status: CommandStatus;
  created_at: string | null;
  expires_at: string | null;
  delivered_at: string | null;
  completed_at: string | null;
  result: JsonValue;
  protocol: string | null;
}

/** Which devices a rule applies to. */
export type RuleScope = { kind: "all" } | { kind: "group"; group: string } | { kind: "tag"; tag: string } | { kind: "device"; deviceId: string };

/** A rule (issue-10 contract). */
export interface Rule {
  id: string;
  name: string;
  sql: string;
  scope?: RuleScope;
  actions: JsonValue[];
  enabled: boolean;
  created_at?: string;
  updated_at?: string;
}

/** A webhook (issue 10 item 4; field names beyond url/events are read defensively). */
export interface Webhook {
  id: string;
  url: string;
  events: string[];
  /** Only one device's, a group's or a tag's events; null: every device. */
  filter?: { deviceId: string } | { group: string } | { tag: string } | null;
  enabled?: boolean;
  disabled_reason?: string | null;
  description?: string | null;
  created_at?: string;
}

/** A channel for cross-device pub/sub. */
export interface Channel {
  id: string;
  name: string | null;
  metadata: JsonObject;
  created_at: string;
  updated_at: string;
}

/** An API key's metadata (never the key). */
export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string | null;
  revoked_at: string | null;
}

/** An OAuth client's metadata (never its secret). */
export interface OAuthClient {
  client_id: string;
  name: string;
  scopes: string[];
  created_at: string | null;
  revoked_at: string | null;
}

/** One allow/deny statement of a policy. */
export interface PolicyStatement {
  effect: "allow" | "deny";
  actions: ("publish" | "subscribe" | "receive")[];
  topics: string[];
}

/** A policy. */
export interface Policy {
  id: string;
  name: string | null;
  statements: PolicyStatement[];
  created_at: string;
  updated_at: string;
}

/** Whom a policy is attached to. */
export interface PolicyAttachment {
  kind: "device" | "group" | "api-key" | "oauth-client" | "anonymous";
  id: string;
}

/** Scopes an app credential may hold (the hub's `SCOPES`). */
export const SCOPES = ["devices:read", "devices:write", "shadows:read", "shadows:write", "commands:write", "rules:write", "admin"] as const;

/** A group of devices (fleets, sites, product lines): rules, policies and fleet queries name it. */
export interface Group {
  name: string;
  description: string | null;
  created_at: string;
  updated_at: string;
}
