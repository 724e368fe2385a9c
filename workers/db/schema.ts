/**
 * The registry, in one place: every D1 table Umbra has. Migrations in `migrations/` are
 * generated from this file by `npm run db:generate` (drizzle-kit); never edit them by hand.
 */
import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const createdAt = () => integer("created_at").notNull().default(sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`);
const updatedAt = () => integer("updated_at").notNull().default(sql`(CAST(unixepoch('subsec') * 1000 AS INTEGER))`);

/** Devices: the things that connect. `attributes` is a JSON object, `tags` a JSON array of strings. */
export const devices = sqliteTable("devices", {
  id: text("id").primaryKey(),
  name: text("name"),
  attributes: text("attributes", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  tags: text("tags", { mode: "json" }).$type<string[]>().notNull().default(sql`'[]'`),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Groups of devices (fleets, sites, product lines). */
export const groups = sqliteTable("groups", {
  name: text("name").primaryKey(),
  description: text("description"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Which device is in which group (many to many). */
export const groupMembers = sqliteTable(
  "group_members",
  {
    groupName: text("group_name").notNull().references(() => groups.name, { onDelete: "cascade" }),
    deviceId: text("device_id").notNull().references(() => devices.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.groupName, t.deviceId] }), index("group_members_device").on(t.deviceId)],
);

/**
 * Device credentials: only the SHA-256 of the token is kept; the token alone identifies its
 * device (looked up by hash). `expiresAt` is set when a rotation leaves the old token a grace period.
 */
export const deviceCredentials = sqliteTable(
  "device_credentials",
  {
    id: text("id").primaryKey(),
    deviceId: text("device_id").notNull().references(() => devices.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull(),
    createdAt: createdAt(),
    expiresAt: integer("expires_at"),
    revokedAt: integer("revoked_at"),
    lastUsedAt: integer("last_used_at"),
  },
  (t) => [uniqueIndex("device_credentials_hash").on(t.tokenHash), index("device_credentials_device").on(t.deviceId)],
);

/** X.509 identities: SHA-256 fingerprints (lowercase hex) of client certificates bound to a device. */
export const x509Identities = sqliteTable(
  "x509_identities",
  {
    fingerprint: text("fingerprint").primaryKey(),
    deviceId: text("device_id").notNull().references(() => devices.id, { onDelete: "cascade" }),
    name: text("name"),
    createdAt: createdAt(),
  },
  (t) => [index("x509_identities_device").on(t.deviceId)],
);

/** API keys for apps: the key is shown once; only its SHA-256 is kept. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash)],
);

/** OAuth 2.0 clients (client credentials grant, RFC 6749 §4.4); the secret is kept hashed. */
export const oauthClients = sqliteTable("oauth_clients", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  secretHash: text("secret_hash").notNull(),
  scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
  createdAt: createdAt(),
  revokedAt: integer("revoked_at"),
});

export type DeviceRow = typeof devices.$inferSelect;
export type GroupRow = typeof groups.$inferSelect;
export type DeviceCredentialRow = typeof deviceCredentials.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type OAuthClientRow = typeof oauthClients.$inferSelect;
export type X509IdentityRow = typeof x509Identities.$inferSelect;

/** Channels: named pub/sub spaces that connected devices share (`channels/<id>/messages/...`). */
export const channels = sqliteTable("channels", {
  id: text("id").primaryKey(),
  name: text("name"),
  metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Which devices are connected to which channel (they may publish and subscribe there). */
export const channelMembers = sqliteTable(
  "channel_members",
  {
    channelId: text("channel_id").notNull().references(() => channels.id, { onDelete: "cascade" }),
    deviceId: text("device_id").notNull().references(() => devices.id, { onDelete: "cascade" }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.channelId, t.deviceId] }), index("channel_members_device").on(t.deviceId)],
);

export type ChannelRow = typeof channels.$inferSelect;

/**
 * MQTT app sessions by the credential that opened them, so revoking an API key or OAuth client
 * can end every live session it holds (`owner` is `key:<id>`, `client:<id>` or `admin`).
 */
export const appSessions = sqliteTable(
  "app_sessions",
  {
    sessionId: text("session_id").primaryKey(),
    owner: text("owner").notNull(),
    createdAt: createdAt(),
    connectedAt: integer("connected_at").notNull(),
  },
  (t) => [index("app_sessions_owner").on(t.owner)],
);

/**
 * MQTT topic policies (AWS IoT-policy-like): `statements` is a JSON list of
 * `{effect, actions, topics}` with `${deviceId}`, `${clientId}`, `${tag:…}`, `${attr:…}`,
 * `${group}` and `${channel}` variables, evaluated by `protocols/mqtt/policy.ts`.
 */
export const policies = sqliteTable("policies", {
  id: text("id").primaryKey(),
  name: text("name"),
  statements: text("statements", { mode: "json" }).$type<unknown[]>().notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/**
 * Which policy applies to whom: a device (`device`), every member of a group (`group`), an
 * API key (`api-key`), an OAuth client (`oauth-client`), or anonymous sandbox clients (`anonymous`, id "*").
 */
export const policyAttachments = sqliteTable(
  "policy_attachments",
  {
    policyId: text("policy_id").notNull().references(() => policies.id, { onDelete: "cascade" }),
    targetKind: text("target_kind", { enum: ["device", "group", "api-key", "oauth-client", "anonymous"] }).notNull(),
    targetId: text("target_id").notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.policyId, t.targetKind, t.targetId] }), index("policy_attachments_target").on(t.targetKind, t.targetId)],
);

export type PolicyRow = typeof policies.$inferSelect;

/**
 * Rules (issue 10): SQL-like text compiled and evaluated in each device's object, scoped to all
 * devices, a group, a tag or one device; `actions` is a JSON list; `version` grows on every edit.
 */
export const rules = sqliteTable(
  "rules",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    sql: text("sql").notNull(),
    scopeKind: text("scope_kind", { enum: ["all", "group", "tag", "device"] }).notNull(),
    scopeValue: text("scope_value"),
    actions: text("actions", { mode: "json" }).$type<unknown[]>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
    version: integer("version").notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("rules_scope").on(t.scopeKind, t.scopeValue)],
);

export type RuleRow = typeof rules.$inferSelect;

/**
 * Webhooks (Standard Webhooks): where to POST which device events. `events` is a JSON list of
 * event types, `filter` null or one of `{deviceId}`, `{group}`, `{tag}`. The signing secrets,
 * the outbox and the delivery log live in the webhook's Durable Object (WebhookObject), never
 * here; `enabled` is cleared by that object (with `disabled_reason`) after a day of failures.
 */
export const webhooks = sqliteTable("webhooks", {
  id: text("id").primaryKey(),
  url: text("url").notNull(),
  description: text("description"),
  events: text("events", { mode: "json" }).$type<string[]>().notNull(),
  filter: text("filter", { mode: "json" }).$type<Record<string, string> | null>(),
  enabled: integer("enabled", { mode: "boolean" }).notNull().default(true),
  disabledReason: text("disabled_reason"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export type WebhookRow = typeof webhooks.$inferSelect;

/**
 * Calls to objects that failed past their quick retries (registry/parked-pushes.ts) and must
 * still get through, because the registry already changed: access pushes (`device-access`,
 * `owner-access`: computed afresh when retried), a revoked or expiring credential to its device's
 * object (`credential-revoked`), a revoked credential's app session (`session-revoked`), a
 * disabled device (`device-disabled`), a device whose rules changed (`rules-changed`). `args`
 * is the call's JSON arguments ('' for access pushes); a row goes once its call succeeds.
 */
export const parkedPushes = sqliteTable(
  "parked_pushes",
  {
    kind: text("kind", { enum: ["device-access", "owner-access", "credential-revoked", "session-revoked", "device-disabled", "rules-changed"] }).notNull(),
    /** The object's name: a device id, a credential owner (`key:<id>`, …) or an app session id. */
    id: text("id").notNull(),
    args: text("args").notNull(),
    /** Failed attempts so far (the backoff grows with them). */
    attempts: integer("attempts").notNull(),
    /** When the next attempt is due (ms since the epoch). */
    nextAt: integer("next_at").notNull(),
    lastError: text("last_error"),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.kind, t.id, t.args] }), index("parked_pushes_due").on(t.nextAt)],
);
