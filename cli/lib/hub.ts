/**
 * How a command reaches the hub: an SDK `App` from the global options, and hub answers and
 * failures turned into `CliError`s with the exit code that says what failed.
 */
import { ApiError, App, ok } from "../../sdk/node";
import type { GlobalOptions } from "../command";
import { CliError, ExitCode, exitCodeForStatus } from "../exit-codes";

/** The app client for the command's `--url` and `--token`. */
export function appFor(globals: GlobalOptions): App {
  if (globals.token === undefined) throw new CliError(ExitCode.USAGE, "no token: pass --token or set UMBRA_TOKEN (an API key, OAuth access token or the admin token)");
  return new App({ url: globals.url, token: globals.token });
}

/** A thrown error as the CliError it stands for (hub refusals by status, network errors as unreachable). */
export function asCliError(e: unknown, url?: string): CliError {
  if (e instanceof CliError) return e;
  if (e instanceof ApiError) return new CliError(exitCodeForStatus(e.status), e.message);
  // fetch rejects with a TypeError (cause: ECONNREFUSED, ENOTFOUND, …) when there is no answer at all.
  if (e instanceof TypeError && /fetch failed|network|ECONN|ENOTFOUND|EAI_AGAIN/i.test(`${e.message} ${String(e.cause ?? "")}`)) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : "";
    return new CliError(ExitCode.UNREACHABLE, `cannot reach the hub${url ? ` at ${url}` : ""}${cause}`);
  }
  if (e instanceof Error && e.name === "ConnectError") return new CliError(ExitCode.UNREACHABLE, e.message);
  if (e instanceof Error && e.name === "EventStreamError") {
    const status = (e as { status?: number }).status;
    return new CliError(status === undefined ? ExitCode.UNREACHABLE : exitCodeForStatus(status), e.message);
  }
  return new CliError(ExitCode.FAILURE, e instanceof Error ? e.message : String(e));
}

/**
 * The data of a hub answer, or a CliError.
 * @example const device = await call(app, app.api.GET("/v1/devices/{id}", { params: { path: { id } } }));
 */
export async function call<D>(app: App, pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  try {
    return await ok(pending);
  } catch (e) {
    throw asCliError(e, app.url);
  }
}
