/** Dates and numbers as the console shows them. */

/** An ISO string, epoch ms, or shadow epoch seconds (< 1e11) as local date and time. */
export function formatTime(t: string | number | null | undefined): string {
  if (t === null || t === undefined || t === "") return "—";
  const ms = typeof t === "number" ? (t < 1e11 ? t * 1000 : t) : Date.parse(t);
  if (!Number.isFinite(ms)) return String(t);
  return new Date(ms).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "medium" });
}

/** JSON on one line, cut to `max` characters. */
export function jsonLine(v: unknown, max = 120): string {
  const s = v === undefined ? "" : JSON.stringify(v);
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
