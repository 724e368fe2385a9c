/**
 * Calls to many objects, or queries over many ids, from one request. Every call to an object
 * and every D1 query is a subrequest, and an invocation may make only so many (Workers Free:
 * 1,000 to Cloudflare services; Paid: 10,000 by default, raised with `[limits] subrequests`):
 * fleet-wide work costs one call per object plus a few queries per {@link IN_LIST} ids.
 */

/** Object calls one request keeps in flight at once. */
export const OBJECT_CALLS_AT_ONCE = 16;

/** Ids per `IN (...)` list: D1 binds at most 100 parameters per query, and a query may bind a few more. */
export const IN_LIST = 90;

/**
 * Runs `fn` over `items` with at most `limit` calls in flight; results in input order.
 * @example await mapBounded(ids, 16, (id) => stub(id).telemetryBuckets(q))
 */
export async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * `items` in slices of at most `size`, in order.
 * @example slices([1, 2, 3, 4, 5], 2) // [[1, 2], [3, 4], [5]]
 */
export function slices<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Runs `query` on every slice of at most {@link IN_LIST} of `items`, all at once; their rows together, in slice order.
 * @example await rowsInSlices(ids, (s) => db.select().from(devices).where(inArray(devices.id, s)).all())
 */
export async function rowsInSlices<T, R>(items: readonly T[], query: (slice: T[]) => Promise<R[]>): Promise<R[]> {
  return (await Promise.all(slices(items, IN_LIST).map(query))).flat();
}

/** Attempts of an idempotent object call that failed with a transient error (see {@link retryTransient}). */
export const OBJECT_CALL_ATTEMPTS = 3;

/**
 * Runs an idempotent call to an object again when it fails with an error the runtime marks
 * `retryable` (the object was reset or briefly unreachable) and not `overloaded` (more calls only
 * make that worse), up to `attempts` times, waiting `firstDelayMs`, then 4× longer each time.
 * Any other error, or the last one, is thrown.
 * @example await retryTransient(() => deviceStub(env, id).accessChanged(access))
 */
export async function retryTransient<R>(call: () => Promise<R>, attempts = OBJECT_CALL_ATTEMPTS, firstDelayMs = 50): Promise<R> {
  for (let attempt = 1, delay = firstDelayMs; ; attempt++, delay *= 4) {
    try {
      return await call();
    } catch (err) {
      const e = err as { retryable?: unknown; overloaded?: unknown } | null;
      if (attempt >= attempts || e?.retryable !== true || e.overloaded === true) throw err;
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}
