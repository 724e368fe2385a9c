/**
 * Pushes to objects that fail past their quick retries (access, a revoked credential, a revoked
 * key's app sessions) are parked in D1 and made again later, so a live session cannot keep what
 * the registry took away just because one call to its object failed. Real D1 and real objects;
 * only the failing calls are faked (an `env` whose object namespaces hand out stubs that throw).
 */
import { env } from "cloudflare:workers";
import { createExecutionContext, createScheduledController, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Env } from "../../durable-objects/env";
import type { PolicyStatement, SessionContext } from "../../protocols/mqtt";
import { createApp } from "../../workers/app";
import worker from "../../workers/index";
import { db } from "../../workers/db/client";
import { appSessions, devices, parkedPushes, policies, policyAttachments } from "../../workers/db/schema";
import { deviceAccess, refreshDevices, refreshOwners } from "../../workers/registry/access";
import { endAppSessions } from "../../workers/registry/app-sessions";
import { pushOf, pushOrPark, retryDelayMs } from "../../workers/registry/parked-pushes";
import { retryParkedPushes } from "../../workers/registry/push-retry";
import { ADMIN } from "./helpers";

const base = env as unknown as Env;

/** `env` whose `binding` namespace hands out stubs whose `method` always throws `error`. */
function failing(binding: "DEVICE" | "APP_SESSION", method: string, error: () => unknown): Env {
  const ns = base[binding] as unknown as DurableObjectNamespace;
  const stubs = new Proxy(ns, {
    get(target, key) {
      if (key === "get") {
        return (id: DurableObjectId) =>
          new Proxy(target.get(id), {
            get: (stub, k) => (k === method ? () => Promise.reject(error()) : (Reflect.get(stub, k) as unknown)),
          });
      }
      const v: unknown = Reflect.get(target, key);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { ...base, [binding]: stubs };
}

const parked = (kind: string, id: string) => db(base).select().from(parkedPushes).where(eq(parkedPushes.id, id)).all().then((rows) => rows.filter((r) => r.kind === kind));

/** The access a device's object holds (as its sessions use it). */
const heldByDevice = (id: string) =>
  runInDurableObject(base.DEVICE.get(base.DEVICE.idFromName(id)), (_o, state) => {
    const row = state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'mqtt_access'`).toArray()[0];
    return row ? (JSON.parse(row.value) as SessionContext) : null;
  });

const statement = (topic: string): PolicyStatement => ({ effect: "allow", actions: ["publish"], topics: [topic] });

describe("parked pushes", () => {
  it("park a device whose object cannot be told, and tell it on a later retry", async () => {
    const id = "park-dev-1";
    await db(base).insert(devices).values({ id, tags: ["line:1"] });
    await refreshDevices(base, [id]);
    const before = await heldByDevice(id);
    expect(before?.variables["tag:line"]).toEqual(["1"]);

    // The registry changes; the object's calls fail (not retryable: no waiting here).
    await db(base).update(devices).set({ tags: ["line:2"] }).where(eq(devices.id, id));
    const broken = failing("DEVICE", "accessChanged", () => new Error("object unreachable"));
    const t0 = Date.now();
    await expect(refreshDevices(broken, [id])).rejects.toThrow(/change is stored, but 1 of the objects it concerns \(first: park-dev-1\) could not be told yet/);
    const [row] = await parked("device-access", id);
    expect(row).toMatchObject({ attempts: 1, lastError: expect.stringContaining("object unreachable") as string });
    expect(row!.nextAt).toBeGreaterThanOrEqual(t0 + retryDelayMs(1));
    expect((await heldByDevice(id))?.variables["tag:line"]).toEqual(["1"]); // still the old access

    // Not due yet: nothing happens.
    expect(await retryParkedPushes(base, t0)).toEqual({ retried: 0, failed: 0 });
    // Due, and still failing: one more attempt counted, the next one put off by the backoff.
    const t1 = row!.nextAt;
    expect(await retryParkedPushes(broken, t1)).toEqual({ retried: 1, failed: 1 });
    const [again] = await parked("device-access", id);
    expect(again).toMatchObject({ attempts: 2, nextAt: t1 + retryDelayMs(2) });
    expect(await retryParkedPushes(base, t1 + retryDelayMs(2) - 1)).toEqual({ retried: 0, failed: 0 });

    // Due and reachable: told, and forgotten.
    expect(await retryParkedPushes(base, t1 + retryDelayMs(2))).toEqual({ retried: 1, failed: 0 });
    expect(await parked("device-access", id)).toEqual([]);
    expect(await heldByDevice(id)).toEqual(await deviceAccess(base, id));
    expect((await heldByDevice(id))?.variables["tag:line"]).toEqual(["2"]);
  });

  it("retry transient failures at once before parking (the object was reset)", async () => {
    const id = "park-dev-2";
    await db(base).insert(devices).values({ id });
    const reset = failing("DEVICE", "accessChanged", () => Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true }));
    await expect(refreshDevices(reset, [id])).rejects.toThrow(/could not be told yet/);
    expect(await parked("device-access", id)).toHaveLength(1);
    // A later change that reaches it does not need the parked row, but the retry is harmless.
    await refreshDevices(base, [id]);
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect(await parked("device-access", id)).toEqual([]);
  });

  it("park a credential owner one of whose app sessions cannot be told", async () => {
    const owner = "key:park-key-1";
    const session = "park-app-session-1";
    await db(base).insert(appSessions).values({ sessionId: session, owner, connectedAt: Date.now() });
    const broken = failing("APP_SESSION", "accessChanged", () => new Error("session object unreachable"));
    await expect(refreshOwners(broken, [owner])).rejects.toThrow(/1 of the objects it concerns \(first: key:park-key-1\) could not be told yet/);
    expect(await parked("owner-access", owner)).toHaveLength(1);

    await db(base).insert(policies).values({ id: "park-pol-1", statements: [statement("factory/#")] });
    await db(base).insert(policyAttachments).values({ policyId: "park-pol-1", targetKind: "api-key", targetId: "park-key-1" });
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect(await parked("owner-access", owner)).toEqual([]);
    const held = await runInDurableObject(base.APP_SESSION.get(base.APP_SESSION.idFromName(session)), (_o, state) =>
      JSON.parse(state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'statements'`).one().value) as PolicyStatement[],
    );
    expect(held).toEqual([statement("factory/#")]);
  });

  it("answer the REST change that could not reach every session 503, with the change stored", async () => {
    const id = "park-dev-3";
    await db(base).insert(devices).values({ id });
    const broken = failing("DEVICE", "accessChanged", () => new Error("object unreachable"));
    const res = await createApp().request(`/v1/devices/${id}`, { method: "PATCH", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ tags: ["zone:7"] }) }, broken);
    expect(res.status).toBe(503);
    expect(res.headers.get("content-type")).toContain("application/problem+json");
    expect(((await res.json()) as { detail: string }).detail).toMatch(/The change is stored/);
    const [stored] = await db(base).select({ tags: devices.tags }).from(devices).where(eq(devices.id, id)).all();
    expect(stored?.tags).toEqual(["zone:7"]);
    expect(await parked("device-access", id)).toHaveLength(1);
  });

  it("park a credential revocation its device's object missed, and make it later", async () => {
    const id = "park-dev-4";
    const expiring = (name: string) =>
      runInDurableObject(base.DEVICE.get(base.DEVICE.idFromName(name)), (_o, state) => {
        const row = state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'credential_expiry'`).toArray()[0];
        return row ? (JSON.parse(row.value) as Record<string, number>) : {};
      });
    const at = Date.now() + 3_600_000;
    const push = { kind: "credential-revoked", id, credential: "cred-old", at } as const;
    await expect(pushOrPark(failing("DEVICE", "credentialRevoked", () => new Error("object unreachable")), [push])).rejects.toThrow(/could not be told yet/);
    const [row] = await parked("credential-revoked", id);
    expect(row?.args).toBe(JSON.stringify(["cred-old", at]));
    expect(await expiring(id)).toEqual({});
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect(await parked("credential-revoked", id)).toEqual([]);
    expect(await expiring(id)).toEqual({ "cred-old": at });
  });

  it("park the revocation of a key's app session that could not be told, with the key's sessions forgotten", async () => {
    const owner = "key:park-key-2";
    await db(base).insert(appSessions).values([
      { sessionId: `${owner}/a`, owner, connectedAt: Date.now() },
      { sessionId: `${owner}/b`, owner, connectedAt: Date.now() },
    ]);
    await expect(endAppSessions(failing("APP_SESSION", "revoke", () => new Error("session object unreachable")), owner, "revoked")).rejects.toThrow(/2 of the objects/);
    expect(await db(base).select().from(appSessions).where(eq(appSessions.owner, owner)).all()).toEqual([]);
    expect((await parked("session-revoked", `${owner}/a`))[0]?.args).toBe(JSON.stringify(["revoked"]));
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect(await parked("session-revoked", `${owner}/b`)).toEqual([]);
  });

  it("read back only rows whose arguments fit their kind", () => {
    expect(pushOf("device-access", "d", "")).toEqual({ kind: "device-access", id: "d" });
    expect(pushOf("credential-revoked", "d", JSON.stringify(["c", null]))).toEqual({ kind: "credential-revoked", id: "d", credential: "c", at: null });
    expect(pushOf("credential-revoked", "d", JSON.stringify([1, null]))).toBeNull();
    expect(pushOf("session-revoked", "s", JSON.stringify(["expired"]))).toEqual({ kind: "session-revoked", id: "s", reason: "expired" });
    expect(pushOf("session-revoked", "s", JSON.stringify(["later"]))).toBeNull();
    expect(pushOf("session-revoked", "s", "{not json")).toBeNull();
    expect(pushOf("something-else", "s", "[]")).toBeNull();
    expect(pushOf("rules-changed", "d", "")).toEqual({ kind: "rules-changed", id: "d" });
  });

  it("park a disable its device's object missed (the REST call says so), and rules a device did not reload", async () => {
    const id = "park-dev-5";
    await db(base).insert(devices).values({ id });
    const broken = failing("DEVICE", "disconnect", () => new Error("object unreachable"));
    const res = await createApp().request(`/v1/devices/${id}`, { method: "PATCH", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ enabled: false }) }, broken);
    expect(res.status).toBe(503);
    expect((await parked("device-disabled", id))[0]?.args).toBe("");
    await expect(pushOrPark(failing("DEVICE", "rulesChanged", () => new Error("object unreachable")), [{ kind: "rules-changed", id }])).rejects.toThrow(/could not be told yet/);
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect([...(await parked("device-disabled", id)), ...(await parked("rules-changed", id))]).toEqual([]);
  });

  it("are made by the Worker's cron trigger", async () => {
    const id = "park-dev-6";
    await db(base).insert(devices).values({ id, tags: ["cron:1"] });
    await db(base).insert(parkedPushes).values({ kind: "device-access", id, args: "", attempts: 1, nextAt: 0 });
    const ctx = createExecutionContext();
    worker.scheduled(createScheduledController({ cron: "* * * * *", scheduledTime: Date.now() }), base, ctx);
    await waitOnExecutionContext(ctx);
    expect(await parked("device-access", id)).toEqual([]);
    expect((await heldByDevice(id))?.variables["tag:cron"]).toEqual(["1"]);
  });
});
