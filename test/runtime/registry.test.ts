import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { call, json } from "./helpers";
import { rulesFor } from "../../workers/registry/rules";
import { MAX_ATTRIBUTE_FILTERS } from "../../workers/registry/devices";

interface Created {
  device: { id: string; tags: string[]; attributes: Record<string, unknown> };
  credential: { id: string; token: string };
}

describe("device registry", () => {
  it("creates a device with a credential, reads, patches and deletes it", async () => {
    const created = await json<Created>(call("POST", "/v1/devices", { body: { id: "thermo-1", name: "T1", attributes: { room: "hall" }, tags: ["heat", "heat"] } }), 201);
    expect(created.device.id).toBe("thermo-1");
    expect(created.device.tags).toEqual(["heat"]);
    expect(created.credential.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const got = await json<{ name: string; status: { connected: boolean } }>(call("GET", "/v1/devices/thermo-1"), 200);
    expect(got.name).toBe("T1");
    expect(got.status.connected).toBe(false);
    const patched = await json<{ attributes: Record<string, unknown> }>(call("PATCH", "/v1/devices/thermo-1", { body: { attributes: { room: "attic" } } }), 200);
    expect(patched.attributes).toEqual({ room: "attic" });
    expect((await call("DELETE", "/v1/devices/thermo-1")).status).toBe(204);
    expect((await call("GET", "/v1/devices/thermo-1")).status).toBe(404);
  });

  it("generates an id when none is given", async () => {
    const created = await json<Created>(call("POST", "/v1/devices", { body: {} }), 201);
    expect(created.device.id).toMatch(/^dev_[0-9a-f]+$/);
  });

  it("answers problem+json for bad input", async () => {
    await call("POST", "/v1/devices", { body: { id: "dup" } });
    const dup = await call("POST", "/v1/devices", { body: { id: "dup" } });
    expect(dup.status).toBe(409);
    expect(dup.headers.get("content-type")).toBe("application/problem+json");
    expect(((await dup.json()) as { type: string }).type).toBe("https://umbra.dev/problems/conflict");
    const badId = await json<{ type: string }>(call("POST", "/v1/devices", { body: { id: "has space" } }), 400);
    expect(badId.type).toMatch(/invalid-request/);
    // "app" is the MQTT user name of app sessions: a device so named could never sign in on /mqtt
    const reserved = await json<{ detail: string }>(call("POST", "/v1/devices", { body: { id: "app" } }), 400);
    expect(reserved.detail).toMatch(/"app" is reserved/);
    const unknown = await json<{ detail: string }>(call("POST", "/v1/devices", { body: { id: "x1", colour: "red" } }), 400);
    expect(unknown.detail).toMatch(/colour/);
    const malformed = await json<{ type: string }>(call("POST", "/v1/devices", { body: "{nope" }), 400);
    expect(malformed.type).toMatch(/malformed-json/);
    const badPathId = await json<{ type: string }>(call("GET", "/v1/devices/has%20space"), 400);
    expect(badPathId.type).toMatch(/invalid-id/);
    // A number beyond a double's range: before, "expected number, received number".
    const huge = await json<{ detail: string }>(call("POST", "/v1/devices/dup/telemetry", { body: '{"data":{"a":1},"ts":1e400}' }), 400);
    expect(huge.detail).toMatch(/^ts: expected a finite number, got Infinity/);
    const hugeQuery = await json<{ detail: string }>(call("GET", "/v1/devices?limit=1e400"), 400);
    expect(hugeQuery.detail).toMatch(/^limit: expected a whole number written in digits, got "1e400"/);
    const missing = await json<{ type: string }>(call("GET", "/v1/nothing-here"), 404);
    expect(missing.type).toMatch(/not-found/);
  });

  it("refuses bodies over the limit with 413", async () => {
    const big = { id: "big", attributes: { blob: "x".repeat(1_100_000) } };
    const r = await call("POST", "/v1/devices", { body: big });
    expect(r.status).toBe(413);
    expect(((await r.json()) as { type: string }).type).toMatch(/payload-too-large/);
  });

  it("filters by tag, attribute, group and prefix, with cursor pagination", async () => {
    for (let i = 0; i < 7; i++) {
      await json(call("POST", "/v1/devices", { body: { id: `pg-${i}`, tags: i % 2 ? ["odd"] : ["even"], attributes: { n: i, site: i < 3 ? "a" : "b" } } }), 201);
    }
    await json(call("POST", "/v1/groups", { body: { name: "firsts", description: "first three" } }), 201);
    for (const id of ["pg-0", "pg-1", "pg-2"]) expect((await call("PUT", `/v1/groups/firsts/devices/${id}`)).status).toBe(204);

    const ids = (p: { items: { id: string }[] }) => p.items.map((d) => d.id);
    expect(ids(await json(call("GET", "/v1/devices?tag=odd&prefix=pg-"), 200))).toEqual(["pg-1", "pg-3", "pg-5"]);
    expect(ids(await json(call("GET", "/v1/devices?attr.site=a"), 200))).toEqual(["pg-0", "pg-1", "pg-2"]);
    expect(ids(await json(call("GET", "/v1/devices?attr.n=4"), 200))).toEqual(["pg-4"]);
    expect(ids(await json(call("GET", "/v1/devices?group=firsts&tag=even"), 200))).toEqual(["pg-0", "pg-2"]);
    expect(ids(await json(call("GET", "/v1/devices?prefix=PG-"), 200))).toEqual([]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const q: string = `/v1/devices?prefix=pg-&limit=3${cursor ? `&cursor=${cursor}` : ""}`;
      const page: { items: { id: string }[]; next_cursor: string | null } = await json(call("GET", q), 200);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...ids(page));
      cursor = page.next_cursor;
    } while (cursor);
    expect(seen).toEqual(["pg-0", "pg-1", "pg-2", "pg-3", "pg-4", "pg-5", "pg-6"]);

    const members = await json<{ items: { device_id: string }[] }>(call("GET", "/v1/groups/firsts/devices"), 200);
    expect(members.items.map((m) => m.device_id)).toEqual(["pg-0", "pg-1", "pg-2"]);
    expect((await call("DELETE", "/v1/groups/firsts/devices/pg-1")).status).toBe(204);
    expect((await call("DELETE", "/v1/groups/firsts/devices/pg-1")).status).toBe(404);
    expect((await call("DELETE", "/v1/groups/firsts")).status).toBe(204);
    expect((await call("GET", "/v1/devices/pg-0")).status).toBe(200);
  });

  it("refuses more attribute filters than the limit with 400, naming it (D1 binds at most 100 values)", async () => {
    const q = (n: number) => Array.from({ length: n }, (_, i) => `attr.k${i}=v`).join("&");
    expect((await json<{ items: unknown[] }>(call("GET", `/v1/devices?${q(MAX_ATTRIBUTE_FILTERS)}&tag=t&prefix=p`), 200)).items).toEqual([]);
    const r = await json<{ detail: string }>(call("GET", `/v1/devices?${q(MAX_ATTRIBUTE_FILTERS + 1)}`), 400);
    expect(r.detail).toMatch(new RegExp(`at most ${MAX_ATTRIBUTE_FILTERS} attribute filters`));
    expect((await call("GET", `/v1/devices?${q(60)}`)).status).toBe(400);
  });

  it("finds the rules of a device in many groups with many tags (no list of them is bound into the query)", async () => {
    const tags = Array.from({ length: 64 }, (_, i) => `t${i}`);
    await json(call("POST", "/v1/devices", { body: { id: "many-groups", tags } }), 201);
    for (let i = 0; i < 60; i++) {
      await json(call("POST", "/v1/groups", { body: { name: `mg-${i}` } }), 201);
      expect((await call("PUT", `/v1/groups/mg-${i}/devices/many-groups`)).status).toBe(204);
    }
    const rule = (name: string, scope: Record<string, string>) =>
      json<{ id: string }>(call("POST", "/v1/rules", { body: { name, sql: "SELECT * FROM telemetry", scope, actions: [] } }), 201);
    const byGroup = await rule("by-group", { kind: "group", group: "mg-59" });
    const byTag = await rule("by-tag", { kind: "tag", tag: "t63" });
    const byDevice = await rule("by-device", { kind: "device", deviceId: "many-groups" });
    const elsewhere = await rule("elsewhere", { kind: "tag", tag: "absent" });
    const found = (await rulesFor(env, "many-groups")).map((r) => r.id);
    expect(found).toEqual(expect.arrayContaining([byGroup.id, byTag.id, byDevice.id]));
    expect(found).not.toContain(elsewhere.id);
    expect(await rulesFor(env, "no-such-device")).toEqual([]);
  });
});
