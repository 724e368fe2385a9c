/** A tiny REST client for end-to-end tests: plain `fetch` against the running hub. */
import { inject } from "vitest";

export const hubUrl = () => inject("hubUrl");
export const adminToken = () => inject("adminToken");

/** Sends a request; `token: null` sends none, undefined sends the admin token. */
export async function api(method: string, path: string, opts: { token?: string | null; body?: unknown; headers?: Record<string, string>; base?: string } = {}) {
  const headers = new Headers(opts.headers);
  const token = opts.token === undefined ? adminToken() : opts.token;
  if (token) headers.set("authorization", `Bearer ${token}`);
  let body: BodyInit | undefined;
  if (opts.body instanceof Uint8Array) body = opts.body;
  else if (typeof opts.body === "string") body = opts.body;
  else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    if (!headers.has("content-type")) headers.set("content-type", "application/json");
  }
  return fetch(`${opts.base ?? hubUrl()}${path}`, { method, headers, body });
}

/** Sends a request and parses the JSON answer, failing with the body when the status differs. */
export async function apiJson<T = Record<string, unknown>>(method: string, path: string, status: number, opts: Parameters<typeof api>[2] = {}): Promise<T> {
  const r = await api(method, path, opts);
  const text = await r.text();
  if (r.status !== status) throw new Error(`${method} ${path}: expected ${status}, got ${r.status}: ${text}`);
  return (text ? JSON.parse(text) : null) as T;
}

/** Registers a device and returns its token. */
export async function createDevice(id: string, base?: string, token?: string): Promise<string> {
  const created = await apiJson<{ credential: { token: string } }>("POST", "/v1/devices", 201, { body: { id }, base, token });
  return created.credential.token;
}

/** Polls `check` until it returns a value, or fails after `ms`. */
export async function eventually<T>(check: () => Promise<T | undefined | null | false>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
