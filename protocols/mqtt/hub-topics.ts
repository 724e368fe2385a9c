/**
 * Topics only the hub publishes: what its objects say on a device's behalf (presence, rule
 * firings), the shadow service's answers (`…/accepted`, `…/rejected`, `update/delta`,
 * `update/documents`), and the reserved `$SYS/…` and `$aws/…` spaces. No client may publish
 * there, whatever a policy grants (an allow on `$aws/things/${deviceId}/shadow/#` would let a
 * device forge its own shadow's answers to every app), as AWS IoT allows only Subscribe on the
 * shadow's response topics. The shadow's request topics (`get`, `update`, `delete`, classic or
 * named) stay publishable as policies say.
 */

const SHADOW_REQUEST = /^\$aws\/things\/[^/]+\/shadow\/(?:name\/[^/]+\/)?(?:get|update|delete)$/;
const DEVICE_EVENTS = /^devices\/[^/]+\/(?:presence|rules)(?:\/|$)/;

/**
 * Whether only the hub publishes on `topic`.
 * @example hubPublished("$aws/things/d1/shadow/update/accepted") // true
 * @example hubPublished("$aws/things/d1/shadow/update") // false: a request
 * @example hubPublished("devices/d1/presence") // true
 */
export function hubPublished(topic: string): boolean {
  if (topic === "$SYS" || topic.startsWith("$SYS/")) return true;
  if (topic === "$aws" || topic.startsWith("$aws/")) return !SHADOW_REQUEST.test(topic);
  return DEVICE_EVENTS.test(topic);
}
