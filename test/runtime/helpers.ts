/** Helpers for tests that run inside workerd against the Worker's default export. */
import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";

export const ADMIN = "test-admin-token-test-admin-token";

/** Calls the Worker as a client would. */
export function call(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
  const headers = new Headers(opts.headers);
  const token = opts.token === undefined ? ADMIN : opts.token;
  if (token !== null) headers.set("authorization", `Bearer ${token}`);
  let body: BodyInit | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return exports.default.fetch(new Request(`http://umbra.test${path}`, { method, headers, body }));
}

/** Calls and parses JSON, asserting the status. */
export async function json<T = Record<string, unknown>>(res: Response | Promise<Response>, status: number): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`expected ${status}, got ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Runs `fn` inside the DeviceObject named `name`, with its storage (for tests of the tables it keeps). */
export function inDeviceObject<T>(name: string, fn: (state: DurableObjectState) => T | Promise<T>): Promise<T> {
  return runInDurableObject(env.DEVICE.get(env.DEVICE.idFromName(name)), (_o, state) => fn(state));
}
