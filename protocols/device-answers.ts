/**
 * What a device may answer to the hub's own requests, the same on every protocol (JSON, MQTT,
 * CoAP): a command's outcome and a direct method's status.
 */

/** The outcomes a device reports for a command. */
export type CommandOutcome = "completed" | "rejected" | "failed";

/** Why an outcome is refused. */
export const COMMAND_OUTCOME_RULE = 'must be "completed", "rejected" or "failed"';

/** Why a method status is refused. */
export const METHOD_STATUS_RULE = "must be an integer status from 100 to 599";

/** A command outcome a device may report. */
export function isCommandOutcome(v: unknown): v is CommandOutcome {
  return v === "completed" || v === "rejected" || v === "failed";
}

/** A direct method's answer status: an HTTP-like status code, as the caller receives it. */
export function isMethodStatus(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) >= 100 && (v as number) <= 599;
}
