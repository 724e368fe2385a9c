/**
 * Turning openapi-fetch's `{data, error, response}` into a value or a thrown error, for code
 * that prefers exceptions (the CLI, scripts, the README's examples).
 */

/** The hub answered with an error: RFC 9457 problem details (`type`, `title`, `detail`), and the status. */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    /** The problem document (or whatever body came). */
    readonly problem: unknown,
    /** The `Retry-After` header, in seconds, when the hub sent one (429, 503). */
    readonly retryAfter: number | undefined,
  ) {
    super(ApiError.describe(status, problem));
  }

  /** The problem's type slug (`not-found`, `conflict`, …), when it has one. */
  get type(): string | undefined {
    const t = typeof this.problem === "object" && this.problem !== null ? (this.problem as { type?: unknown }).type : undefined;
    return typeof t === "string" ? t.replace(/^.*\/problems\//, "") : undefined;
  }

  private static describe(status: number, problem: unknown): string {
    if (typeof problem === "object" && problem !== null) {
      const p = problem as { title?: unknown; detail?: unknown };
      const text = [p.title, p.detail].filter((s) => typeof s === "string" && s !== "").join(": ");
      if (text) return `${status} ${text}`;
    }
    return typeof problem === "string" && problem ? `${status} ${problem}` : `the hub answered ${status}`;
  }
}

/**
 * The data of a successful answer; throws `ApiError` for any other.
 * @example
 * const device = await ok(app.api.GET("/v1/devices/{id}", { params: { path: { id } } }));
 */
export async function ok<D>(pending: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await pending;
  if (!response.ok) {
    const retry = Number(response.headers.get("retry-after"));
    throw new ApiError(response.status, error ?? null, Number.isFinite(retry) && retry > 0 ? retry : undefined);
  }
  return data as D;
}
