/**
 * Telemetry timestamps are epoch milliseconds: one check, used on every path a sample enters
 * (HTTP, CoAP, the JSON socket, MQTT), so a `ts` in seconds (stored as 1970), in microseconds
 * (pinning "latest" for ever) or older than retention (acknowledged, then deleted) is refused
 * with a message that says what was expected.
 */

/** The earliest timestamp taken: 2000-01-01T00:00:00Z. */
export const MIN_TELEMETRY_TS = 946_684_800_000;
/** How far ahead of the hub's clock a device's clock may run. */
export const MAX_TELEMETRY_SKEW_MS = 86_400_000;

/** A timestamp is fine, or why not (`out_of_range`: not plausible epoch ms; `too_old`: past retention). */
export type TsCheck = { ok: true } | { ok: false; reason: "out_of_range" | "too_old"; message: string };

/** How a time was written: a `ts` in epoch milliseconds, or a SenML `t` in seconds (RFC 8428 §4.5.3). */
export type TimeField = "ts" | "senml";

const plausible = (ms: number, now: number) => ms >= MIN_TELEMETRY_TS && ms <= now + MAX_TELEMETRY_SKEW_MS;

function unitHint(ts: number, now: number, field: TimeField): string {
  if (field === "senml") return plausible(ts / 1000, now) ? " (it looks like milliseconds: divide by 1000)" : "";
  if (plausible(ts * 1000, now)) return " (it looks like seconds: multiply by 1000)";
  if (plausible(ts / 1000, now)) return " (it looks like microseconds: divide by 1000)";
  return "";
}

function rangeMessage(ts: number, now: number, field: TimeField): string {
  const hint = unitHint(ts, now, field);
  if (field === "ts") return `ts must be epoch milliseconds between 2000-01-01 and one day from now; got ${ts}${hint}`;
  return `t must be SenML time, epoch seconds between 2000-01-01 and one day from now (or below 2^28, relative to now); got ${ts / 1000}${hint}`;
}

/**
 * Checks a sample's `ts` (epoch ms) against 2000-01-01 … now + 1 day and against the retention
 * window. `field` says how the device wrote it, so the message speaks the device's units.
 * @example checkTelemetryTs(Date.now(), Date.now(), 30 * 86_400_000) // { ok: true }
 * @example checkTelemetryTs(1767225600, 1767225600000, 30 * 86_400_000).ok // false: seconds
 */
export function checkTelemetryTs(ts: number, now: number, maxAgeMs: number, field: TimeField = "ts"): TsCheck {
  if (!Number.isSafeInteger(ts) || ts < MIN_TELEMETRY_TS || ts > now + MAX_TELEMETRY_SKEW_MS) {
    return {
      ok: false,
      reason: "out_of_range",
      message: rangeMessage(ts, now, field),
    };
  }
  if (ts < now - maxAgeMs) {
    const days = Math.round((maxAgeMs / 86_400_000) * 100) / 100;
    return {
      ok: false,
      reason: "too_old",
      message: `${field === "ts" ? "ts" : "t"} ${new Date(ts).toISOString()} is older than the telemetry retention of ${days} days (TELEMETRY_MAX_AGE_DAYS): it would be deleted at once`,
    };
  }
  return { ok: true };
}
