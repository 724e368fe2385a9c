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

const COMMAND_LEVEL = /^devices\/[^/]+\/commands\/([^/]*)$/;
const COMMAND_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Whether `topic` is a command topic (`devices/<id>/commands/<name>`) whose name no command may
 * have (as REST refuses it): the queue would not take it, and the device would get it raw, as if
 * it were a command that no queue holds. No client may publish there.
 * @example badCommandTopic("devices/d1/commands/a b") // true
 * @example badCommandTopic("devices/d1/commands/reboot") // false
 */
export function badCommandTopic(topic: string): boolean {
  const name = COMMAND_LEVEL.exec(topic)?.[1];
  return name !== undefined && !COMMAND_NAME.test(name);
}
