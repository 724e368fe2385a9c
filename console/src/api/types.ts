/**
 * The shapes of the hub's answers the console reads, as `/openapi.json` declares them (and, for
 * commands, methods, rules and webhooks, as the issue-10 contract does). Only the fields the
 * pages use; unknown extra fields are ignored.
 */
import type { JsonObject, JsonValue } from "../../../protocols/json-value";

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

export type CommandStatus = "queued" | "delivered" | "completed" | "rejected" | "failed" | "expired";

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

export type RuleScope = { kind: "all" } | { kind: "group"; group: string } | { kind: "tag"; tag: string } | { kind: "device"; deviceId: string };

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

export interface Webhook {
  id: string;
  url: string;
  events: string[];
  filter?: JsonValue;
  enabled?: boolean;
  disabled?: boolean;
  status?: string;
  created_at?: string;
}

export interface Channel {
  id: string;
  name: string | null;
  metadata: JsonObject;
  created_at: string;
  updated_at: string;
}

export interface ApiKey {
  id: string;
  name: string;
  scopes: string[];
  created_at: string | null;
  revoked_at: string | null;
}

export interface OAuthClient {
  client_id: string;
  name: string;
  scopes: string[];
  created_at: string | null;
  revoked_at: string | null;
}

export interface PolicyStatement {
  effect: "allow" | "deny";
  actions: ("publish" | "subscribe" | "receive")[];
  topics: string[];
}

export interface Policy {
  id: string;
  name: string | null;
  statements: PolicyStatement[];
  created_at: string;
  updated_at: string;
}

export interface PolicyAttachment {
  kind: "device" | "group" | "api-key" | "oauth-client" | "anonymous";
  id: string;
}

/** Scopes an app credential may hold (the hub's `SCOPES`). */
export const SCOPES = ["devices:read", "devices:write", "shadows:read", "shadows:write", "commands:write", "rules:write", "admin"] as const;
