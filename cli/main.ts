/**
 * The `umbra` command: global options (`--url`/`UMBRA_URL`, `--token`/`UMBRA_TOKEN`, `--json`),
 * every command found in `cli/commands/`, and exit codes that say what failed.
 */
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Command, CommanderError, Option } from "commander";
import type { UmbraCommand } from "./command";
import { isCommand } from "./command";
import { CliError, ExitCode } from "./exit-codes";

/** The hub a command talks to when neither `--url` nor `UMBRA_URL` says otherwise. */
export const DEFAULT_URL = "http://127.0.0.1:8787";

const commandsDir = join(dirname(fileURLToPath(import.meta.url)), "commands");

/** Every command module in `cli/commands/` (test files aside), in file-name order. */
export async function loadCommands(dir = commandsDir): Promise<UmbraCommand[]> {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts") && !f.endsWith(".d.ts"))
    .sort();
  const commands: UmbraCommand[] = [];
  for (const file of files) {
    const mod: { default?: unknown } = await import(pathToFileURL(join(dir, file)).href);
    if (!isCommand(mod.default)) throw new Error(`cli/commands/${file} must default-export defineCommand(...)`);
    commands.push(mod.default);
  }
  return commands;
}

/** The program with its global options and every command. */
export async function buildProgram(commands?: UmbraCommand[], json = false): Promise<Command> {
  const program = new Command("umbra")
    .description("Umbra, an IoT hub on Cloudflare Workers: the command line")
    .addOption(new Option("--url <url>", "the hub's base URL").env("UMBRA_URL").default(DEFAULT_URL))
    .addOption(new Option("--token <token>", "API key, OAuth access token or admin token").env("UMBRA_TOKEN"))
    .option("--json", "machine-readable output (JSON)", false)
    // throw instead of exiting, so main decides the exit code (inherited by every command)
    .exitOverride();
  // With --json, main prints usage errors as JSON too (settings are inherited by every command).
  if (json) program.configureOutput({ outputError: () => undefined, writeErr: () => undefined });
  else program.showHelpAfterError("(umbra --help lists the commands and options)");
  for (const command of commands ?? (await loadCommands())) command.register(program);
  return program;
}

/**
 * Runs the command line `argv` (as in `process.argv`: node, script, arguments…) and returns
 * the exit code. Errors are printed on stderr, as `{"error":{…}}` with `--json`.
 */
export async function main(argv: readonly string[], commands?: UmbraCommand[]): Promise<number> {
  const json = argv.slice(2).includes("--json");
  try {
    const program = await buildProgram(commands, json);
    await program.parseAsync([...argv]);
    return ExitCode.OK;
  } catch (err) {
    // commander printed its own message (or the help) already, except a usage error under --json
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return ExitCode.OK;
      // A command group without its command shows its help as the error ("(outputHelp)").
      const message = err.code === "commander.help" ? "a command is required (umbra --help lists them)" : err.message.replace(/^error: /, "");
      if (json) process.stderr.write(`${JSON.stringify({ error: { code: ExitCode.USAGE, message } })}\n`);
      return ExitCode.USAGE;
    }
    const code = err instanceof CliError ? err.exitCode : ExitCode.FAILURE;
    const message = err instanceof Error ? err.message : String(err);
    const text = err instanceof CliError ? message : `unexpected error: ${err instanceof Error && err.stack ? err.stack : message}`;
    process.stderr.write(json ? `${JSON.stringify({ error: { code, message } })}\n` : `umbra: ${text}\n`);
    return code;
  }
}
