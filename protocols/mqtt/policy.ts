/**
 * MQTT access policy as data: statements of allowed/denied actions on topic filters
 * with `${variable}` placeholders, evaluated by one pure function, {@link authorize}.
 *
 * Semantics (close to AWS IoT policies):
 * - `publish` and `receive` check a topic name: allowed when some allow statement
 *   has a filter matching it and no deny statement does.
 * - `subscribe` checks a topic filter: allowed when it is contained in one allow
 *   filter (every topic it can match is matched by that filter) and in no deny
 *   filter (a subscription that could only ever reach denied topics is refused).
 *   A wider subscription that also covers denied topics is granted, as in AWS IoT:
 *   what keeps those messages away is `receive`, checked per delivered message, so
 *   a deny meant to hide topics lists `receive` too. Containment is checked
 *   against single filters, never their union, which can only refuse more.
 * - Deny always wins.
 * - A variable may hold one value or a list ("any of these"). A value that is
 *   empty, or contains `/`, `+`, `#`, U+0000 or a lone surrogate, is never substituted, so a
 *   variable cannot widen a filter; a statement whose variable has no usable
 *   value does not apply (for allow and deny alike).
 * - A shared subscription (`$share/<group>/<filter>`) is checked as a subscription to its filter.
 * - The hub's own topics (`hub-topics.ts`: presence, rule firings, shadow answers, `$SYS`,
 *   `$aws` but for shadow requests) are never published by a client, whatever a policy says.
 */
import { filterContains, filtersIntersect, isValidTopicFilter, isValidTopicName, topicMatches } from "./topics";
import { isSharedFilter, parseSharedFilter } from "./shared-subscriptions";
import { hubPublished, refusedCallTopic } from "./hub-topics";

/** What a client does with a topic. `receive` is checked per delivered message. */
export type PolicyAction = "publish" | "subscribe" | "receive";

/** One rule: `topics` are filters that may contain `${name}` variables. */
export interface PolicyStatement {
  effect: "allow" | "deny";
  actions: readonly PolicyAction[];
  topics: readonly string[];
}

/** A policy is an ordered list of statements (order does not matter: deny wins). */
export type Policy = readonly PolicyStatement[];

/** Variable values by name; a list means "any of these values". */
export type PolicyVariables = Readonly<Record<string, string | readonly string[] | undefined>>;

const VARIABLE = /\$\{([A-Za-z][A-Za-z0-9_.:-]*)\}/g;
const UNSAFE_VALUE = /[/+#\u0000]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A template split into literal text and variable names; null if it can never be valid. */
type Compiled = { literals: string[]; names: string[] } | null;

const compiled = new Map<string, Compiled>();

function compile(template: string): Compiled {
  let hit = compiled.get(template);
  if (hit !== undefined) return hit;
  const literals: string[] = [];
  const names: string[] = [];
  let last = 0;
  for (const match of template.matchAll(VARIABLE)) {
    literals.push(template.slice(last, match.index));
    names.push(match[1]);
    last = match.index + match[0].length;
  }
  literals.push(template.slice(last));
  // Safe values are non-empty and free of "/", "+", "#": if the template is a valid
  // filter with "x" in every slot, it is valid with any safe value. A "${" left
  // over is a malformed placeholder and never a literal.
  const ok = !literals.some((l) => l.includes("${")) && isValidTopicFilter(literals.join("x"));
  hit = ok ? { literals, names } : null;
  if (compiled.size < 1024) compiled.set(template, hit);
  return hit;
}

/** Usable values of variable `name`; own properties only, so `${constructor}` is nothing. */
function valuesOf(variables: PolicyVariables, name: string): readonly string[] {
  if (!Object.prototype.hasOwnProperty.call(variables, name)) return [];
  const raw = variables[name];
  const list = typeof raw === "string" ? [raw] : Array.isArray(raw) ? raw : [];
  return list.filter((v): v is string => typeof v === "string" && v.length > 0 && !UNSAFE_VALUE.test(v));
}

/**
 * Expand a statement filter into concrete filters, one per combination of values.
 * Returns only syntactically valid filters.
 * @example expandFilter("channels/${channel}/messages", { channel: ["a", "b"] })
 * // ["channels/a/messages", "channels/b/messages"]
 */
export function expandFilter(template: string, variables: PolicyVariables): string[] {
  const c = compile(template);
  if (c === null) return [];
  let results = [c.literals[0]];
  for (let i = 0; i < c.names.length; i++) {
    const values = valuesOf(variables, c.names[i]);
    const next: string[] = [];
    for (const prefix of results) for (const v of values) next.push(prefix + v + c.literals[i + 1]);
    results = next;
    if (results.length === 0) break;
  }
  return results;
}

/** Does one expanded filter grant/deny `target` for `action`? */
function covers(filter: string, action: PolicyAction, target: string): boolean {
  return action === "subscribe" ? filterContains(filter, target) : topicMatches(filter, target);
}

/**
 * Whether a statement's topic template is well formed: a valid topic filter once each
 * `${variable}` is replaced by a value (REST input is checked with this before it is stored).
 * @example isValidTemplate("factory/${attr:site}/+/alarms") // true
 */
export function isValidTemplate(template: string): boolean {
  return compile(template) !== null;
}

/** How a decision was reached: the statement that decided it (its index), or none (implicit deny). */
export interface Decision {
  allowed: boolean;
  /** Index of the deciding statement in the policy, or null when nothing allowed it. */
  statement: number | null;
}

/**
 * {@link authorize} with its reason: a deny statement that applies decides (deny wins), else
 * the first allow statement that applies, else nothing does and the answer is deny.
 * @example explain(DEFAULT_DEVICE_POLICY, { deviceId: "d1" }, "publish", "devices/d1/telemetry") // { allowed: true, statement: 2 }
 */
export function explain(policy: Policy, variables: PolicyVariables, action: PolicyAction, topicOrFilter: string): Decision {
  const target = checkedTarget(action, topicOrFilter);
  if (target === null) return { allowed: false, statement: null };
  let allow: number | null = null;
  for (let i = 0; i < policy.length; i++) {
    const statement = policy[i]!;
    if (!statement.actions.includes(action)) continue;
    const deny = statement.effect === "deny";
    if (!deny && allow !== null) continue;
    const hit = statement.topics.some((template) => expandFilter(template, variables).some((f) => covers(f, action, target)));
    if (!hit) continue;
    if (deny) return { allowed: false, statement: i };
    allow = i;
  }
  return { allowed: allow !== null, statement: allow };
}

/**
 * May a client with `variables` perform `action` on `topicOrFilter`?
 * Invalid names/filters are refused.
 * @example
 * authorize(DEFAULT_DEVICE_POLICY, { deviceId: "d1" }, "subscribe", "devices/d1/commands/#") // true
 * authorize(DEFAULT_DEVICE_POLICY, { deviceId: "d1" }, "subscribe", "devices/+/commands/#") // false
 */
export function authorize(policy: Policy, variables: PolicyVariables, action: PolicyAction, topicOrFilter: string): boolean {
  // Policies and variables are values (never mutated once made), so answers are remembered per
  // pair: a device publishing to the same few topics pays for expansion and matching once.
  let byVariables = DECISIONS.get(policy);
  if (!byVariables) DECISIONS.set(policy, (byVariables = new WeakMap()));
  let decisions = byVariables.get(variables);
  if (!decisions || decisions.size >= DECISIONS_PER_PAIR) byVariables.set(variables, (decisions = new Map()));
  const key = `${action} ${topicOrFilter}`;
  let decision = decisions.get(key);
  if (decision === undefined) decisions.set(key, (decision = decide(policy, variables, action, topicOrFilter)));
  return decision;
}

/**
 * May a client subscribe to `filter`? As {@link authorize}, and for a shared subscription
 * (`$share/<group>/<filter>`) also the right to receive every topic its filter matches: the group
 * gives each message to one member, so a member that may not receive some would lose them for the
 * whole group (a deny statement on any topic the filter matches refuses it).
 * @example maySubscribe([{ effect: "allow", actions: ["subscribe", "receive"], topics: ["#"] }, { effect: "deny", actions: ["receive"], topics: ["a/b"] }], {}, "$share/g/a/+") // false
 */
export function maySubscribe(policy: Policy, variables: PolicyVariables, filter: string): boolean {
  if (!authorize(policy, variables, "subscribe", filter)) return false;
  const shared = isSharedFilter(filter) ? parseSharedFilter(filter)?.filter : undefined;
  if (shared === undefined) return true;
  let allowed = false;
  for (const statement of policy) {
    if (!statement.actions.includes("receive")) continue;
    const filters = statement.topics.flatMap((template) => expandFilter(template, variables));
    if (statement.effect === "deny") {
      if (filters.some((f) => filtersIntersect(f, shared))) return false;
    } else if (!allowed) allowed = filters.some((f) => filterContains(f, shared));
  }
  return allowed;
}

/** Remembered answers of {@link authorize}, per policy and variables; a full map starts over. */
const DECISIONS = new WeakMap<Policy, WeakMap<PolicyVariables, Map<string, boolean>>>();
const DECISIONS_PER_PAIR = 512;

/**
 * What a decision checks: the topic or filter itself, or for a shared subscription
 * (`$share/<group>/<filter>`) its filter, which it needs the same right to; null when invalid.
 */
function checkedTarget(action: PolicyAction, topicOrFilter: string): string | null {
  // The hub's own topics are never a client's to publish, whatever the policy grants.
  if (action === "publish") return isValidTopicName(topicOrFilter) && !hubPublished(topicOrFilter) && !refusedCallTopic(topicOrFilter) ? topicOrFilter : null;
  if (action !== "subscribe") return isValidTopicName(topicOrFilter) ? topicOrFilter : null;
  if (isSharedFilter(topicOrFilter)) return parseSharedFilter(topicOrFilter)?.filter ?? null;
  return isValidTopicFilter(topicOrFilter) ? topicOrFilter : null;
}

function decide(policy: Policy, variables: PolicyVariables, action: PolicyAction, topicOrFilter: string): boolean {
  const target = checkedTarget(action, topicOrFilter);
  if (target === null) return false;
  let allowed = false;
  for (const statement of policy) {
    if (!statement.actions.includes(action)) continue;
    const deny = statement.effect === "deny";
    if (!deny && allowed) continue;
    for (const template of statement.topics) {
      const hit = expandFilter(template, variables).some((f) => covers(f, action, target));
      if (!hit) continue;
      if (deny) return false;
      allowed = true;
      break;
    }
  }
  return allowed;
}

const SHADOW = "$aws/things/${deviceId}/shadow";
const SHADOW_OPS = ["get", "update", "delete"];

/**
 * What a device may do by default. Shadow request topics (get, update, delete,
 * classic and `name/<shadow>/`) may be published; everything under its shadow
 * (`/accepted`, `/rejected`, `update/delta`, `update/documents`) may be
 * subscribed to and received. Publishing the service's response topics is not
 * allowed, so a device cannot forge them.
 */
export const DEFAULT_DEVICE_POLICY: Policy = [
  {
    effect: "allow",
    actions: ["publish"],
    topics: [...SHADOW_OPS.map((op) => `${SHADOW}/${op}`), ...SHADOW_OPS.map((op) => `${SHADOW}/name/+/${op}`)],
  },
  { effect: "allow", actions: ["subscribe", "receive"], topics: [`${SHADOW}/#`] },
  { effect: "allow", actions: ["publish"], topics: ["devices/${deviceId}/telemetry", "devices/${deviceId}/telemetry/#"] },
  { effect: "allow", actions: ["subscribe", "receive"], topics: ["devices/${deviceId}/commands/#", "devices/${deviceId}/methods/#"] },
  // Results of commands and answers to direct methods.
  { effect: "allow", actions: ["publish"], topics: ["devices/${deviceId}/commands/+/result", "devices/${deviceId}/methods/+/response"] },
  {
    effect: "allow",
    actions: ["publish", "subscribe", "receive"],
    topics: ["channels/${channel}/messages", "channels/${channel}/messages/#"],
  },
];

/**
 * What an anonymous client may do in the sandbox (`MQTT_ANONYMOUS=true`) unless a policy is
 * attached to `anonymous`: everything in the sandbox's own topic space, which is apart from
 * every authenticated one, but never publish under the names of devices or channels. `$`
 * topics stay reserved (`#` never matches them [MQTT-4.7.2-1]).
 */
export const SANDBOX_POLICY: Policy = [
  { effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["#"] },
  { effect: "deny", actions: ["publish"], topics: ["devices/#", "channels/#"] },
];

/**
 * Added to whatever policy an anonymous sandbox client has (the default or one attached to
 * `anonymous`): devices' own topics and shadow topics are never theirs (deny wins).
 */
export const SANDBOX_FENCE: Policy = [{ effect: "deny", actions: ["publish", "subscribe", "receive"], topics: ["devices/#", "$aws/#"] }];

/**
 * Policy of an app session from its API-key scopes:
 * `devices:read` (telemetry, presence, rule firings, command results), `shadows:read` (accepted/delta/documents),
 * `commands:write` (publish commands), `admin` (everything, `$aws/...` included).
 */
export function appPolicy(scopes: readonly string[]): Policy {
  const policy: PolicyStatement[] = [];
  if (scopes.includes("admin")) {
    policy.push({ effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["#", "$aws/#"] });
  }
  if (scopes.includes("devices:read")) {
    // What devices report and what their objects publish about them: presence, rule firings, command results.
    policy.push({
      effect: "allow",
      actions: ["subscribe", "receive"],
      topics: ["devices/+/telemetry", "devices/+/telemetry/#", "devices/+/presence", "devices/+/rules/+", "devices/+/commands/+/result"],
    });
  }
  if (scopes.includes("shadows:read")) {
    const topics: string[] = [];
    for (const base of ["$aws/things/+/shadow", "$aws/things/+/shadow/name/+"]) {
      topics.push(`${base}/+/accepted`, `${base}/update/delta`, `${base}/update/documents`);
    }
    policy.push({ effect: "allow", actions: ["subscribe", "receive"], topics });
  }
  if (scopes.includes("commands:write")) {
    // `devices/<id>/commands/<name>` only: the queue takes one level, and a deeper topic would
    // reach a 3.1.1 device as if it were a queued command `<name>/<cmdId>` that no queue holds.
    policy.push({ effect: "allow", actions: ["publish"], topics: ["devices/+/commands/+"] });
  }
  return policy;
}
