/**
 * MQTT topic names and filters (spec §4.7): validation, matching, and the filter
 * algebra the access policy needs (containment, intersection).
 *
 * Shared subscriptions (`$share/<group>/<filter>`) are in shared-subscriptions.ts; in
 * these functions a `$share/...` string is an ordinary `$`-topic.
 */

const SLASH = 0x2f;
const PLUS = 0x2b;
const HASH = 0x23;
const DOLLAR = 0x24;

/** Largest UTF-8 string MQTT can carry (two-byte length prefix). */
export const MAX_TOPIC_BYTES = 65535;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Number of bytes `s` takes in UTF-8 (lone surrogates count as 3, like U+FFFD). */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Common rules for names and filters: non-empty, no U+0000, encodable, ≤ 65535 bytes. */
function isEncodable(s: string): boolean {
  if (s.length === 0) return false; // [MQTT-4.7.3-1]
  if (s.includes("\u0000")) return false; // [MQTT-4.7.3-2]
  if (LONE_SURROGATE.test(s)) return false; // [MQTT-1.5.4-1] not representable in UTF-8
  // Each UTF-16 unit is at most 3 UTF-8 bytes, so only long strings need counting.
  return s.length <= MAX_TOPIC_BYTES / 3 || utf8Length(s) <= MAX_TOPIC_BYTES; // [MQTT-4.7.3-3]
}

/**
 * A valid topic name for PUBLISH: non-empty, no wildcards, no U+0000, ≤ 65535 bytes.
 * @example isValidTopicName("devices/d1/telemetry") // true
 * @example isValidTopicName("devices/+/telemetry") // false
 */
export function isValidTopicName(name: string): boolean {
  // [MQTT-3.3.2-2] [MQTT-4.7.1-1] wildcards are only for filters
  return isEncodable(name) && !name.includes("+") && !name.includes("#");
}

/**
 * A valid topic filter for SUBSCRIBE/UNSUBSCRIBE: `#` only as the whole last level
 * [MQTT-4.7.1-2], `+` only as a whole level [MQTT-4.7.1-3].
 * @example isValidTopicFilter("a/+/c/#") // true
 * @example isValidTopicFilter("a/b#") // false
 */
export function isValidTopicFilter(filter: string): boolean {
  if (!isEncodable(filter)) return false;
  const n = filter.length;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c !== PLUS && c !== HASH) continue;
    const startsLevel = i === 0 || filter.charCodeAt(i - 1) === SLASH;
    const endsLevel = i === n - 1 || filter.charCodeAt(i + 1) === SLASH;
    if (!startsLevel || !endsLevel) return false;
    if (c === HASH && i !== n - 1) return false;
  }
  return true;
}

/** True when the level `[start, end)` of `s` is exactly the character `c`. */
function isLevel(s: string, start: number, end: number, c: number): boolean {
  return end - start === 1 && s.charCodeAt(start) === c;
}

/**
 * Does `topic` (a valid name) match `filter` (a valid filter)? `+` matches one
 * level, `#` the parent level and any number below it. A filter starting with a
 * wildcard never matches a topic starting with `$` [MQTT-4.7.2-1].
 * @example topicMatches("sport/#", "sport") // true
 * @example topicMatches("+/monitor", "$SYS/monitor") // false
 */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.charCodeAt(0) === DOLLAR) {
    const c = filter.charCodeAt(0);
    if (c === PLUS || c === HASH) return false;
  }
  const fl = filter.length;
  const tl = topic.length;
  let f = 0;
  let t = 0; // t === tl + 1 marks a topic with no levels left
  for (;;) {
    let fe = filter.indexOf("/", f);
    if (fe === -1) fe = fl;
    if (isLevel(filter, f, fe, HASH)) return true;
    if (t > tl) return false;
    let te = topic.indexOf("/", t);
    if (te === -1) te = tl;
    if (!isLevel(filter, f, fe, PLUS)) {
      if (fe - f !== te - t) return false;
      for (let k = 0; k < fe - f; k++) if (filter.charCodeAt(f + k) !== topic.charCodeAt(t + k)) return false;
    }
    if (fe === fl) return te === tl;
    f = fe + 1;
    t = te + 1;
  }
}

function isWildcard(level: string): boolean {
  return level === "+" || level === "#";
}

/** Would a leading wildcard of one filter be kept from the `$` topics of the other? */
function dollarSplit(a: string, b: string): boolean {
  return isWildcard(a) && b.startsWith("$");
}

/**
 * Is every topic matched by `inner` also matched by `outer`? Both must be valid
 * filters. This is what "a subscription is allowed by a policy filter" means.
 * @example filterContains("devices/d1/commands/#", "devices/d1/commands/+/x") // true
 * @example filterContains("devices/d1/telemetry", "devices/+/telemetry") // false
 */
export function filterContains(outer: string, inner: string): boolean {
  const o = outer.split("/");
  const i = inner.split("/");
  // inner may match $-topics that a leading wildcard of outer never matches
  if (dollarSplit(o[0], i[0])) return false;
  for (let k = 0; ; k++) {
    if (k < o.length && o[k] === "#") return true;
    if (k >= i.length) return k >= o.length;
    if (k >= o.length) return false;
    const ik = i[k];
    const ok = o[k];
    if (ik === "#") return false;
    if (ik === "+" ? ok !== "+" : ok !== "+" && ok !== ik) return false;
  }
}

/**
 * Is there a topic that both filters match? Used to let a deny statement veto any
 * subscription that could receive one of its topics.
 * @example filtersIntersect("devices/+/telemetry", "devices/d2/#") // true
 */
export function filtersIntersect(a: string, b: string): boolean {
  const x = a.split("/");
  const y = b.split("/");
  if (dollarSplit(x[0], y[0]) || dollarSplit(y[0], x[0])) return false;
  for (let k = 0; ; k++) {
    const xk = x[k];
    const yk = y[k];
    if (xk === "#" || yk === "#") return true;
    if (xk === undefined || yk === undefined) return xk === yk;
    if (xk !== "+" && yk !== "+" && xk !== yk) return false;
  }
}
