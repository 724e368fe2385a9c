/**
 * The `umbra` command's exit codes, one per kind of failure, so scripts can tell a typo from an
 * unreachable hub from a refused credential. Documented in the README's CLI section.
 */
export const ExitCode = {
  OK: 0,
  /** Anything unexpected (a bug, an unclassified error). */
  FAILURE: 1,
  /** Bad flags or arguments. */
  USAGE: 2,
  /** The hub could not be reached (connection refused, DNS, TLS). */
  UNREACHABLE: 3,
  /** The hub refused the credentials (401, 403). */
  AUTH: 4,
  /** The hub has no such thing (404). */
  NOT_FOUND: 5,
  /** A version or state conflict (409, 412). */
  CONFLICT: 6,
  /** The hub refused the input (400, 413, 415, 422). */
  INVALID: 7,
  /** The hub failed (5xx) or answered something unreadable. */
  HUB_ERROR: 8,
  /** Something local is unavailable: a port in use, a permission. */
  UNAVAILABLE: 9,
  /**
   * A device said no: a command ended rejected, failed or expired, a method answered a status of
   * 400 or more, or simulated devices met errors.
   */
  DEVICE_FAILED: 10,
  /** A device could not be reached: offline for a method, or no answer in time. */
  DEVICE_UNREACHABLE: 11,
} as const;

/** An exit code value. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The exit code for a hub answer's HTTP status (2xx → OK). */
export function exitCodeForStatus(status: number): ExitCodeValue {
  if (status >= 200 && status < 300) return ExitCode.OK;
  if (status === 401 || status === 403) return ExitCode.AUTH;
  if (status === 404) return ExitCode.NOT_FOUND;
  if (status === 409 || status === 412) return ExitCode.CONFLICT;
  if (status >= 400 && status < 500) return ExitCode.INVALID;
  return ExitCode.HUB_ERROR;
}

/**
 * The error a command throws to stop with a given exit code; `main` prints its message (or,
 * with `--json`, `{"error":{"code","message"}}`) on stderr.
 *
 * @example
 * throw new CliError(ExitCode.NOT_FOUND, `no device ${id}`);
 */
export class CliError extends Error {
  override readonly name = "CliError";

  constructor(
    readonly exitCode: ExitCodeValue,
    message: string,
  ) {
    super(message);
  }
}
