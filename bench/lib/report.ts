/**
 * The JSON line format every benchmark prints: one line per case with Umbra's figure, each
 * peer's, the ratios, latency, loss and CPU per message, and whether the case passed.
 */
import { usPerMessage } from "./cpu";
import type { Figure } from "./scenario";

/** One output line (a flat JSON object). */
export type Line = Record<string, unknown> & { scenario: string; ok: boolean };

/** What one peer produced: figures, or why it has none. */
export type PeerOutcome =
  | { name: "aedes" | "mosquitto"; figures: Figure[] }
  | { name: "aedes" | "mosquitto"; error: string }
  | { name: "aedes" | "mosquitto"; skipped: string };

const r2 = (x: number) => Math.round(x * 100) / 100;
/** Rounds rates: whole numbers from 100 up, two decimals below. */
export const roundRate = (x: number) => (Math.abs(x) >= 100 ? Math.round(x) : r2(x));

/** Umbra ÷ peer, or null when either is missing or zero. */
export function ratio(umbra: number | null | undefined, peer: number | null | undefined): number | null {
  return umbra != null && peer != null && peer > 0 ? r2(umbra / peer) : null;
}

/** True when a figure counts as a pass: no errors, nothing lost (unless loss is allowed). */
export function figureOk(f: Figure): boolean {
  return f.errors === 0 && (f.lossAllowed || f.lost === null || f.lost === 0);
}

/**
 * Merges Umbra's figures with the peers' into one line per case; `how`: the MQTT path Umbra's
 * devices took, their entrance (the runtime's own port, or wrangler's dev proxy) and how every
 * client framed its packets (mqtt-clients.ts).
 */
export function reportLines(scenario: string, how: { path: string; entrance: string; framing: string }, umbra: Figure[], outcomes: PeerOutcome[]): Line[] {
  // A skipped peer gets its null figure and the reason; the others every per-peer field.
  const skipped = outcomes.filter((p): p is Extract<PeerOutcome, { skipped: string }> => "skipped" in p);
  const peers = outcomes.filter((p) => !("skipped" in p));
  return umbra.map((u) => {
    const line: Line = { scenario, case: u.case, metric: u.metric, path: how.path, entrance: how.entrance, framing: how.framing, umbra: roundRate(u.value), ok: figureOk(u) };
    const byPeer = new Map<string, Figure | undefined>();
    for (const p of skipped) {
      line[p.name] = null;
      line[`ratio_vs_${p.name}`] = null;
      line[`${p.name}_skipped`] = p.skipped;
    }
    for (const p of peers) {
      const f = "figures" in p ? p.figures.find((x) => x.case === u.case) : undefined;
      byPeer.set(p.name, f);
      line[p.name] = f ? roundRate(f.value) : null;
    }
    for (const p of peers) line[`ratio_vs_${p.name}`] = ratio(u.value, byPeer.get(p.name)?.value);
    if (u.latency) {
      Object.assign(line, u.latency);
      for (const p of peers) {
        const l = byPeer.get(p.name)?.latency;
        line[`${p.name}_p50_ms`] = l?.p50_ms ?? null;
        line[`${p.name}_p99_ms`] = l?.p99_ms ?? null;
      }
    }
    line.lost = u.lost;
    for (const p of peers) line[`${p.name}_lost`] = byPeer.get(p.name)?.lost ?? null;
    line.hub_cpu_us_per_msg = usPerMessage(u.brokerCpuSeconds, u.messages);
    if (u.devProxyCpuSeconds !== undefined) line.dev_proxy_cpu_us_per_msg = usPerMessage(u.devProxyCpuSeconds, u.messages);
    line.client_cpu_us_per_msg = usPerMessage(u.clientCpuSeconds, u.messages);
    for (const p of peers) {
      const f = byPeer.get(p.name);
      // Aedes shares this process with its clients: its figure is broker and clients together.
      line[`${p.name}_cpu_us_per_msg`] = f ? usPerMessage(f.brokerCpuSeconds, f.messages) : null;
    }
    line.messages = u.messages;
    if (u.dup) line.dup = u.dup;
    if (u.errors) Object.assign(line, { errors: u.errors, first_error: u.firstError });
    for (const p of peers) {
      if ("error" in p) line[`${p.name}_error`] = p.error;
      const f = byPeer.get(p.name);
      if (f?.errors) line[`${p.name}_errors`] = f.errors;
    }
    if (u.extra) Object.assign(line, u.extra);
    return line;
  });
}

/** The line printed when a scenario could not run at all. */
export function failureLine(scenario: string, error: unknown): Line {
  return { scenario, ok: false, error: error instanceof Error ? error.message : String(error) };
}
