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

const CALLS = /^devices\/[^/]+\/(commands|methods)\/(.*)$/;
/** A command's or a direct method's name, wherever one is named (REST, MQTT topics, rule actions). */
export const COMMAND_NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Whether `topic`, under a device's `commands/` or `methods/`, is one no client may publish on.
 * A client publishes there only a command for the queue (`commands/<name>`, a name REST would
 * take) and a device its answers (`commands/<cmdId>/result`, `methods/<reqId>/response`);
 * everything else there is how the hub hands a device its commands and calls
 * (`commands/<name>/<cmdId>`, `methods/<name>[/<reqId>]`), and a client's publish would reach
 * the device raw, as a command no queue holds or a call nobody made, whatever a policy grants.
 * @example refusedCallTopic("devices/d1/commands/a b") // true: no command has that name
 * @example refusedCallTopic("devices/d1/commands/reboot/cmd_1") // true: a forged 3.1.1 command
 * @example refusedCallTopic("devices/d1/commands/reboot") // false: queued
 */
export function refusedCallTopic(topic: string): boolean {
  const m = CALLS.exec(topic);
  if (!m) return false;
  const levels = m[2]!.split("/");
  if (m[1] === "commands" && levels.length === 1) return !COMMAND_NAME.test(levels[0]!);
  return !(levels.length === 2 && levels[1] === (m[1] === "commands" ? "result" : "response"));
}
