/**
 * The console's hub client with a fake hub and a fake clock: OAuth tokens are renewed before
 * they expire (on a timer, before a late request, and once after a 401), a refused credential
 * signs out and forgets everything, and a missing route reads as "not available".
 */
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { OAuthSession } from "./session";

class MemoryStorage {
  readonly map = new Map<string, string>();
  getItem(k: string): string | null {
    return this.map.get(k) ?? null;
  }
  setItem(k: string, v: string): void {
    this.map.set(k, String(v));
  }
  removeItem(k: string): void {
    this.map.delete(k);
  }
}

const T0 = 1_700_000_000_000;
const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } });

interface Call {
  url: string;
  auth: string | null;
}

/** A hub that issues tok1, tok2, … and accepts only the newest (or `accept`). */
function fakeHub(opts: { tokenStatus?: number; accept?: (auth: string | null) => boolean } = {}) {
  const calls: Call[] = [];
  let issued = 0;
  const fetch = vi.fn(async (url: string, init: RequestInit = {}) => {
    const auth = new Headers(init.headers).get("authorization");
    calls.push({ url, auth });
    if (url === "/oauth/token") {
      if (opts.tokenStatus) return json({ error: "invalid_client" }, opts.tokenStatus);
      issued++;
      return json({ access_token: `tok${issued}`, token_type: "Bearer", expires_in: 3600, scope: "devices:read" });
    }
    if (url.startsWith("/v1/nothing")) return json({ type: "https://umbra.dev/problems/not-found", title: "Not found", status: 404, detail: `No route for GET ${url}` }, 404);
    const ok = opts.accept ? opts.accept(auth) : auth === `Bearer tok${issued}` || auth === "Bearer admin";
    return ok ? json({ items: [], next_cursor: null }) : json({ type: "https://umbra.dev/problems/unauthorized", title: "Unauthorized", status: 401 }, 401);
  });
  return { calls, fetch, tokenCalls: () => calls.filter((c) => c.url === "/oauth/token").length };
}

const oauth = (over: Partial<OAuthSession> = {}): OAuthSession => ({ kind: "oauth", clientId: "client_1", clientSecret: "s", accessToken: "tok0", issuedAt: T0, expiresAt: T0 + 3_600_000, scope: "", ...over });

let storage: MemoryStorage;

beforeEach(() => {
  vi.resetModules();
  vi.useFakeTimers({ now: T0 });
  storage = new MemoryStorage();
  vi.stubGlobal("sessionStorage", storage);
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("OAuth token renewal", () => {
  it("renews on a timer a minute before expiry, and keeps the new token in sessionStorage", async () => {
    const hub = fakeHub();
    vi.stubGlobal("fetch", hub.fetch);
    const client = await import("./client");
    client.signIn(oauth());
    await vi.advanceTimersByTimeAsync(3_600_000 - 61_000);
    expect(hub.tokenCalls()).toBe(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(hub.tokenCalls()).toBe(1);
    const s = client.currentSession() as OAuthSession;
    expect(s.accessToken).toBe("tok1");
    expect(s.issuedAt).toBe(T0 + 3_540_000);
    expect(s.expiresAt).toBe(T0 + 7_140_000);
    expect(JSON.parse(storage.getItem("umbra.console.session") ?? "{}").accessToken).toBe("tok1");
    // The next renewal is scheduled from the new token's lifetime.
    await vi.advanceTimersByTimeAsync(3_540_000);
    expect(hub.tokenCalls()).toBe(2);
  });

  it("renews first when a request comes after the renewal time, and concurrent requests share it", async () => {
    const hub = fakeHub();
    vi.stubGlobal("fetch", hub.fetch);
    const client = await import("./client");
    client.signIn(oauth({ issuedAt: T0 - 3_600_000, expiresAt: T0 - 1 }));
    await Promise.all([client.request("GET", "/v1/devices"), client.request("GET", "/v1/groups")]);
    expect(hub.tokenCalls()).toBe(1);
    expect(hub.calls.filter((c) => c.url !== "/oauth/token").map((c) => c.auth)).toEqual(["Bearer tok1", "Bearer tok1"]);
  });

  it("renews once after a 401 and retries", async () => {
    let renewed = false;
    const hub = fakeHub({ accept: (auth) => renewed && auth === "Bearer tok1" });
    vi.stubGlobal("fetch", async (url: string, init?: RequestInit) => {
      if (url === "/oauth/token") renewed = true;
      return hub.fetch(url, init);
    });
    const client = await import("./client");
    client.signIn(oauth());
    await expect(client.request("GET", "/v1/devices")).resolves.toEqual({ items: [], next_cursor: null });
    expect(hub.calls.map((c) => c.url)).toEqual(["/v1/devices", "/oauth/token", "/v1/devices"]);
  });

  it("signs out, forgetting the session, when the client can no longer get a token", async () => {
    const hub = fakeHub({ tokenStatus: 401 });
    vi.stubGlobal("fetch", hub.fetch);
    const client = await import("./client");
    const seen: (string | undefined)[] = [];
    client.onSessionChange((s, reason) => seen.push(s === null ? reason : "signed in"));
    client.signIn(oauth());
    await vi.advanceTimersByTimeAsync(3_600_000);
    expect(client.currentSession()).toBeNull();
    expect(storage.map.size).toBe(0);
    expect(seen[1]).toMatch(/could not renew/);
  });
});

describe("requests", () => {
  it("signs out when the hub refuses a token session's credential", async () => {
    vi.stubGlobal("fetch", fakeHub().fetch);
    const client = await import("./client");
    client.signIn({ kind: "token", token: "revoked" });
    await expect(client.request("GET", "/v1/devices")).rejects.toMatchObject({ status: 401 });
    expect(client.currentSession()).toBeNull();
    expect(storage.map.size).toBe(0);
  });

  it("checks a token given explicitly without signing anyone out", async () => {
    vi.stubGlobal("fetch", fakeHub().fetch);
    const client = await import("./client");
    client.signIn({ kind: "token", token: "admin" });
    await expect(client.request("GET", "/v1/devices", { token: "wrong" })).rejects.toMatchObject({ status: 401 });
    expect(client.currentSession()).toEqual({ kind: "token", token: "admin" });
  });

  it("reads a missing route as NotAvailable, and writes query strings", async () => {
    vi.stubGlobal("fetch", fakeHub().fetch);
    const client = await import("./client");
    client.signIn({ kind: "token", token: "admin" });
    await expect(client.request("GET", "/v1/nothing")).rejects.toBeInstanceOf(client.NotAvailable);
    expect(client.withQuery("/v1/devices", { prefix: "a b", tag: "", limit: 5, cursor: null })).toBe("/v1/devices?prefix=a+b&limit=5");
    expect(client.withQuery("/x?y=1", { z: true })).toBe("/x?y=1&z=true");
  });
});
