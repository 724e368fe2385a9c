import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { call, json } from "./helpers";
import { ShardClient } from "../../durable-objects/routing/shard-client";
import { appSession } from "../../durable-objects/routing/sessions";
import { TopicObject } from "../../durable-objects/topic/topic-object";

describe("DeviceObject", () => {
  it("is wiped when its device is deleted from the registry", async () => {
    await json(call("POST", "/v1/devices", { body: { id: "wipe-me" } }), 201);
    await json(call("POST", "/v1/devices/wipe-me/shadow", { body: { state: { desired: { a: 1 } } } }), 200);
    await json(call("POST", "/v1/devices/wipe-me/telemetry", { body: { data: { t: 1 } } }), 202);
    expect((await call("DELETE", "/v1/devices/wipe-me")).status).toBe(204);
    await json(call("POST", "/v1/devices", { body: { id: "wipe-me" } }), 201);
    expect((await call("GET", "/v1/devices/wipe-me/shadow")).status).toBe(404);
    const t = await json<{ items: unknown[] }>(call("GET", "/v1/devices/wipe-me/telemetry"), 200);
    expect(t.items).toEqual([]);
    const stub = env.DEVICE.get(env.DEVICE.idFromName("wipe-me"));
    const tables = await runInDurableObject(stub, (_o, state) =>
      state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM shadow_history").one().n,
    );
    expect(tables).toBe(0);
  });

  it("keeps a device registered while its object could not be wiped, so the DELETE can be sent again", async () => {
    await json(call("POST", "/v1/devices", { body: { id: "wipe-fails" } }), 201);
    await json(call("POST", "/v1/devices/wipe-fails/shadow", { body: { state: { desired: { a: 1 } } } }), 200);
    // The wipe's call to the device's topic shard fails (a shard being reset, say).
    const deviceDeleted = Object.getOwnPropertyDescriptor(TopicObject.prototype, "deviceDeleted")!;
    Object.defineProperty(TopicObject.prototype, "deviceDeleted", { ...deviceDeleted, value: async () => Promise.reject(new Error("shard unavailable")) });
    let first: number;
    try {
      first = (await call("DELETE", "/v1/devices/wipe-fails")).status;
    } finally {
      Object.defineProperty(TopicObject.prototype, "deviceDeleted", deviceDeleted);
    }
    expect(first).toBe(500);
    // Before: the registry row was already gone (a retry got 404), and the old shadow waited in
    // the object for a device created again with this id.
    expect((await call("GET", "/v1/devices/wipe-fails")).status).toBe(200);
    expect((await call("DELETE", "/v1/devices/wipe-fails")).status).toBe(204);
    await json(call("POST", "/v1/devices", { body: { id: "wipe-fails" } }), 201);
    expect((await call("GET", "/v1/devices/wipe-fails/shadow")).status).toBe(404);
  });

  it("arms its alarm with the first QoS 1 copy it owes a subscriber, even when nothing else would wake it", async () => {
    // A device that only posts over HTTP has no presence alarm: before, copies a crash left in its
    // outbox waited for the device's next request, however long that took.
    await json(call("POST", "/v1/devices", { body: { id: "resume-http" } }), 201);
    await new ShardClient(env, "default").subscribe(appSession("test/resume-reader"), ["devices/+/telemetry"]);
    const stub = env.DEVICE.get(env.DEVICE.idFromName("resume-http"));
    await json(call("POST", "/v1/devices/resume-http/telemetry", { body: { data: { t: 1 } } }), 202);
    const armed = await runInDurableObject(stub, (_o, state) => state.storage.getAlarm());
    expect(armed).not.toBeNull();
    expect(armed! - Date.now()).toBeLessThanOrEqual(5_000);
  });

  it("enforces shadow limits with AWS error bodies", async () => {
    await json(call("POST", "/v1/devices", { body: { id: "limits" } }), 201);
    const big = await json<{ code: number; message: string; status: number }>(
      call("POST", "/v1/devices/limits/shadow", { body: { state: { reported: { blob: "x".repeat(70_000) } }, clientToken: "big" } }),
      413,
    );
    expect(big).toMatchObject({ code: 413, status: 413, clientToken: "big" });
    let deep: Record<string, unknown> = { leaf: 1 };
    for (let i = 0; i < 11; i++) deep = { d: deep };
    const tooDeep = await json<{ code: number }>(call("POST", "/v1/devices/limits/shadow", { body: { state: { desired: deep } } }), 400);
    expect(tooDeep.code).toBe(400);
    const badName = await json<{ type: string }>(call("GET", "/v1/devices/limits/shadows/bad.name"), 400);
    expect(badName.type).toMatch(/invalid-id/);
    const unknownField = await json<{ type: string }>(call("POST", "/v1/devices/limits/shadow", { body: { state: {}, extra: 1 } }), 400);
    expect(unknownField.type).toMatch(/invalid-request/);
    // Nothing was stored by the refused requests.
    expect((await call("GET", "/v1/devices/limits/shadow")).status).toBe(404);
  });

  it("keeps only the configured number of history versions", async () => {
    await json(call("POST", "/v1/devices", { body: { id: "hist-cap" } }), 201);
    for (let i = 0; i < 105; i++) await json(call("POST", "/v1/devices/hist-cap/shadow", { body: { state: { reported: { i } } } }), 200);
    const h = await json<{ items: { version: number }[] }>(call("GET", "/v1/devices/hist-cap/shadow/history?limit=1000"), 200);
    expect(h.items).toHaveLength(100);
    expect(h.items[0]?.version).toBe(6);
    expect(h.items[99]?.version).toBe(105);
  });
});
