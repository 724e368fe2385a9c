/**
 * Entry point of one benchmark scenario: `node --import tsx bench/lib/main.ts <scenario> [options]`
 * (scripts/bench.mjs runs it). Prints the scenario's JSON lines on stdout, the progress line on
 * stderr, and exits 1 when a line is not ok or the scenario could not run.
 */
import { Args } from "./args";
import { Progress } from "./progress";
import { failureLine, type Line } from "./report";
import { compareBrokers, loadScenario } from "./scenario";

const args = new Args();
const name = args.positional[0];
if (!name) throw new Error("usage: main.ts <scenario> [options]");
const progress = new Progress(name);
const limitMin = args.num("time-limit", 30);
const guard = setTimeout(() => {
  progress.done();
  console.log(JSON.stringify(failureLine(name, `time limit of ${limitMin} min reached (--time-limit)`)));
  process.exit(1);
}, limitMin * 60_000);
guard.unref();

let lines: Line[];
try {
  const scenario = await loadScenario(name);
  lines = scenario.run ? await scenario.run(args, progress) : await compareBrokers(scenario, args, progress);
} catch (e) {
  lines = [failureLine(name, e)];
}
progress.done();
for (const line of lines) console.log(JSON.stringify(line));
process.exit(lines.length > 0 && lines.every((l) => l.ok) ? 0 : 1);
