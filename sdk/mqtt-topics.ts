/**
 * The MQTT topics of one device (pure): what it subscribes to, and what an incoming topic means.
 * Shadow topics are AWS IoT's; commands and methods follow the issue-10 contract, for MQTT 5
 * (`.../commands/<name>`, the id in the correlation data) and 3.1.1 (`.../commands/<name>/<id>`).
 */

/** What an incoming publish is. */
export type Inbound =
  | { kind: "delta"; shadow: string }
  | { kind: "accepted" | "rejected"; shadow: string; op: "get" | "update" }
  | { kind: "command"; name: string; id: string | null }
  | { kind: "method"; name: string; id: string | null }
  | { kind: "other" };

/** The AWS topic prefix of a shadow (`""` is the classic one). */
export function shadowPrefix(deviceId: string, shadow: string): string {
  return `$aws/things/${deviceId}/shadow${shadow === "" ? "" : `/name/${shadow}`}`;
}

/**
 * Every filter a device subscribes to (QoS 1), in groups sent as one SUBSCRIBE each: the shadow
 * topics (always the device's own), commands, methods (a policy may refuse these separately).
 */
export function deviceSubscriptions(deviceId: string): string[][] {
  const classic = shadowPrefix(deviceId, "");
  const named = `${classic}/name/+`;
  const shadow = [
    `${classic}/update/delta`,
    `${classic}/update/accepted`,
    `${classic}/update/rejected`,
    `${classic}/get/accepted`,
    `${classic}/get/rejected`,
    `${named}/update/delta`,
    `${named}/update/accepted`,
    `${named}/update/rejected`,
  ];
  return [shadow, [`devices/${deviceId}/commands/#`], [`devices/${deviceId}/methods/#`]];
}

/** The topic a command result goes to. */
export function commandResultTopic(deviceId: string, commandId: string): string {
  return `devices/${deviceId}/commands/${commandId}/result`;
}

/** The topic a method answer goes to when the request named no response topic. */
export function methodResponseTopic(deviceId: string, requestId: string): string {
  return `devices/${deviceId}/methods/${requestId}/response`;
}

/**
 * What a topic received by device `deviceId` is. Result and response topics (the device's own
 * answers, echoed by a `#` subscription) are `other`.
 * @example classifyTopic("d1", "devices/d1/commands/reboot") // { kind: "command", name: "reboot", id: null }
 * @example classifyTopic("d1", "devices/d1/commands/reboot/c42") // { kind: "command", name: "reboot", id: "c42" }
 * @example classifyTopic("d1", "devices/d1/commands/c42/result") // { kind: "other" }
 */
export function classifyTopic(deviceId: string, topic: string): Inbound {
  const shadowBase = `$aws/things/${deviceId}/shadow/`;
  if (topic.startsWith(shadowBase)) {
    let rest = topic.slice(shadowBase.length).split("/");
    let shadow = "";
    if (rest[0] === "name" && rest.length >= 2) {
      shadow = rest[1] ?? "";
      rest = rest.slice(2);
    }
    const [op, what] = rest;
    if (rest.length === 2 && op === "update" && what === "delta") return { kind: "delta", shadow };
    if (rest.length === 2 && (op === "update" || op === "get") && (what === "accepted" || what === "rejected")) return { kind: what, shadow, op };
    return { kind: "other" };
  }
  for (const kind of ["command", "method"] as const) {
    const base = `devices/${deviceId}/${kind}s/`;
    if (!topic.startsWith(base)) continue;
    const parts = topic.slice(base.length).split("/");
    const answer = kind === "command" ? "result" : "response";
    if (parts.length === 1 && parts[0] !== "") return { kind, name: parts[0] ?? "", id: null };
    if (parts.length === 2 && parts[0] !== "" && parts[1] !== "" && parts[1] !== answer) return { kind, name: parts[0] ?? "", id: parts[1] ?? null };
    return { kind: "other" };
  }
  return { kind: "other" };
}
