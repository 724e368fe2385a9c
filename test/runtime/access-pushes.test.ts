/**
 * Access pushes that fail past their retries are parked in D1 and made again later, so a live
 * session cannot keep rights the registry took away just because one call to its object failed.
 * Real D1 and real objects; only the failing calls are faked (an `env` whose object namespaces
 * hand out stubs that throw).
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import type { Env } from "../../durable-objects/env";
import type { PolicyStatement, SessionContext } from "../../protocols/mqtt";
import { createApp } from "../../workers/app";
import { db } from "../../workers/db/client";
import { accessPushes, appSessions, devices, policies, policyAttachments } from "../../workers/db/schema";
import { deviceAccess, refreshDevices, refreshOwners, retryParkedPushes } from "../../workers/registry/access";
import { retryDelayMs } from "../../workers/registry/access-pushes";
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

const parked = (kind: "device" | "owner", id: string) =>
  db(base).select().from(accessPushes).where(eq(accessPushes.id, id)).all().then((rows) => rows.filter((r) => r.kind === kind));

/** The access a device's object holds (as its sessions use it). */
const heldByDevice = (id: string) =>
  runInDurableObject(base.DEVICE.get(base.DEVICE.idFromName(id)), (_o, state) => {
    const row = state.storage.sql.exec<{ value: string }>(`SELECT value FROM meta WHERE key = 'mqtt_access'`).toArray()[0];
    return row ? (JSON.parse(row.value) as SessionContext) : null;
  });

const statement = (topic: string): PolicyStatement => ({ effect: "allow", actions: ["publish"], topics: [topic] });

describe("parked access pushes", () => {
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
    await expect(refreshDevices(broken, [id])).rejects.toThrow(/change is stored, but 1 device .*could not be told yet/);
    const [row] = await parked("device", id);
    expect(row).toMatchObject({ attempts: 1, lastError: expect.stringContaining("object unreachable") as string });
    expect(row!.nextAt).toBeGreaterThanOrEqual(t0 + retryDelayMs(1));
    expect((await heldByDevice(id))?.variables["tag:line"]).toEqual(["1"]); // still the old access

    // Not due yet: nothing happens.
    expect(await retryParkedPushes(base, t0)).toEqual({ retried: 0, failed: 0 });
    // Due, and still failing: one more attempt counted, the next one put off by the backoff.
    const t1 = row!.nextAt;
    expect(await retryParkedPushes(broken, t1)).toEqual({ retried: 1, failed: 1 });
    const [again] = await parked("device", id);
    expect(again).toMatchObject({ attempts: 2, nextAt: t1 + retryDelayMs(2) });
    expect(await retryParkedPushes(base, t1 + retryDelayMs(2) - 1)).toEqual({ retried: 0, failed: 0 });

    // Due and reachable: told, and forgotten.
    expect(await retryParkedPushes(base, t1 + retryDelayMs(2))).toEqual({ retried: 1, failed: 0 });
    expect(await parked("device", id)).toEqual([]);
    expect(await heldByDevice(id)).toEqual(await deviceAccess(base, id));
    expect((await heldByDevice(id))?.variables["tag:line"]).toEqual(["2"]);
  });

  it("retry transient failures at once before parking (the object was reset)", async () => {
    const id = "park-dev-2";
    await db(base).insert(devices).values({ id });
    const reset = failing("DEVICE", "accessChanged", () => Object.assign(new Error("Durable Object reset because its code was updated."), { retryable: true }));
    await expect(refreshDevices(reset, [id])).rejects.toThrow(/could not be told yet/);
    expect(await parked("device", id)).toHaveLength(1);
    // A later change that reaches it does not need the parked row, but the retry is harmless.
    await refreshDevices(base, [id]);
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect(await parked("device", id)).toEqual([]);
  });

  it("park a credential owner one of whose app sessions cannot be told", async () => {
    const owner = "key:park-key-1";
    const session = "park-app-session-1";
    await db(base).insert(appSessions).values({ sessionId: session, owner, connectedAt: Date.now() });
    const broken = failing("APP_SESSION", "accessChanged", () => new Error("session object unreachable"));
    await expect(refreshOwners(broken, [owner])).rejects.toThrow(/1 credential .*could not be told yet/);
    expect(await parked("owner", owner)).toHaveLength(1);

    await db(base).insert(policies).values({ id: "park-pol-1", statements: [statement("factory/#")] });
    await db(base).insert(policyAttachments).values({ policyId: "park-pol-1", targetKind: "api-key", targetId: "park-key-1" });
    expect(await retryParkedPushes(base, Date.now() + retryDelayMs(1))).toMatchObject({ failed: 0 });
    expect(await parked("owner", owner)).toEqual([]);
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
    expect(await parked("device", id)).toHaveLength(1);
  });
});
