/**
 * The frame every `npm run soak -- <name>` shares: a hub of its own, a progress line, the run's
 * JSON lines on stdout (one `ok: false` line with the error if it threw), wrangler's trouble on
 * stderr, and exit 1 unless every line is ok.
 */
import { LocalHub } from "./hub";
import { Progress } from "./progress";
import type { Line } from "./report";

export async function soak(scenario: string, run: (hub: LocalHub, progress: Progress) => Promise<Line[]>): Promise<never> {
  const progress = new Progress(scenario.replace("-", " "));
  const hub = LocalHub.create(`umbra-${scenario}-`);
  let lines: Line[];
  try {
    progress.set("starting hub");
    await hub.start();
    lines = await run(hub, progress);
  } catch (e) {
    lines = [{ scenario, ok: false, error: e instanceof Error ? e.message : String(e) }];
  } finally {
    progress.done();
    await hub.disposeReporting();
  }
  for (const l of lines) console.log(JSON.stringify(l));
  process.exit(lines.every((l) => l.ok) ? 0 : 1);
}
