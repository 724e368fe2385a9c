/**
 * One delivery attempt: a signed POST of one event. Each attempt carries the event's stable
 * `webhook-id`, a fresh `webhook-timestamp` (receivers refuse stale ones) and a signature by
 * every live secret. Only a 2xx counts; redirects are not followed (a redirect to a private
 * address would get past the URL check), and an endpoint gets ATTEMPT_TIMEOUT_MS to answer.
 */
import { retryAfterMs } from "./backoff";
import { signatureHeader } from "./signature";

/** How long an endpoint may take to answer one attempt. */
export const ATTEMPT_TIMEOUT_MS = 15_000;

/** What an attempt came to. */
export interface AttemptResult {
  ok: boolean;
  /** The HTTP status, or null when there was no answer. */
  status: number | null;
  error: string | null;
  /** The receiver's `Retry-After` on a 429 or 503, in ms from the answer (see backoff.ts). */
  retryAfterMs?: number | null;
}

/** POSTs one event to `url`, signed with `secrets` (newest first). Never throws. */
export async function postEvent(url: string, id: string, body: string, secrets: readonly string[], now: number): Promise<AttemptResult> {
  const timestamp = Math.floor(now / 1000);
  try {
    const res = await fetch(url, {
      method: "POST",
      redirect: "manual",
      signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS),
      headers: {
        "content-type": "application/json",
        "user-agent": "Umbra-Webhooks",
        "webhook-id": id,
        "webhook-timestamp": String(timestamp),
        "webhook-signature": await signatureHeader(secrets, id, timestamp, body),
      },
      body,
    });
    await res.body?.cancel();
    const ok = res.status >= 200 && res.status < 300;
    const retryAfter = retryAfterMs(res.status, res.headers.get("retry-after"), Date.now());
    const error = ok ? null : retryAfter === null ? `HTTP ${res.status}` : `HTTP ${res.status}, Retry-After ${Math.ceil(retryAfter / 1000)} s`;
    return { ok, status: res.status, error, retryAfterMs: retryAfter };
  } catch (err) {
    const name = err instanceof Error ? err.name : "";
    const error = name === "TimeoutError" ? `no answer within ${ATTEMPT_TIMEOUT_MS / 1000} s` : err instanceof Error ? err.message : String(err);
    return { ok: false, status: null, error: error.slice(0, 500) };
  }
}
