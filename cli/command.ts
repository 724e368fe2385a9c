/**
 * What a command module looks like. Each file in `cli/commands/` default-exports one
 * `defineCommand(...)`; `main` finds them there, so adding a command is adding one file.
 */
import type { Command } from "commander";
import { CliError, ExitCode } from "./exit-codes";

/** The options every command gets, from flags or the environment. */
export interface GlobalOptions {
  /** The hub's base URL (`--url`, `UMBRA_URL`, default http://127.0.0.1:8787). */
  url: string;
  /** API key, OAuth access token or admin token (`--token`, `UMBRA_TOKEN`). */
  token: string | undefined;
  /** Machine-readable output (`--json`). */
  json: boolean;
}

/** A command module's default export. */
export interface UmbraCommand {
  /** Adds the command (name, arguments, options, action) to the program. */
  register(program: Command): void;
}

/**
 * Declares a command.
 *
 * @example
 * // cli/commands/hello.ts
 * export default defineCommand((program) =>
 *   program.command("hello").description("say hello").action((_opts, cmd: Command) => {
 *     console.log(`hello from ${globalOptions(cmd).url}`);
 *   }),
 * );
 */
export function defineCommand(register: (program: Command) => unknown): UmbraCommand {
  return { register: (program) => void register(program) };
}

/** Whether a module's default export is a command. */
export function isCommand(value: unknown): value is UmbraCommand {
  return typeof value === "object" && value !== null && typeof (value as { register?: unknown }).register === "function";
}

/** The global options as seen from inside a command's action. */
export function globalOptions(cmd: Command): GlobalOptions {
  const o: Record<string, unknown> = cmd.optsWithGlobals();
  const url = typeof o.url === "string" ? o.url : "";
  try {
    new URL(url);
  } catch {
    throw new CliError(ExitCode.USAGE, `--url / UMBRA_URL is not a URL: ${JSON.stringify(url)}`);
  }
  return { url, token: typeof o.token === "string" && o.token !== "" ? o.token : undefined, json: o.json === true };
}
