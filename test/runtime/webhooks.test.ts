/**
 * Webhooks inside workerd: the REST routes and their checks, the group and tag lookups the
 * object makes in D1, the bounded outbox, and a webhook that disables itself after failing
 * (here: 3 failures, at once — see vitest.runtime.config.ts) because its URL is refused at
 * delivery time; attempts cut off by a restart go again at once. Also the fleet query's device limit.
 */
import { describe, expect, it } from "vitest";
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { call, json } from "./helpers";
import { Membership } from "../../durable-objects/webhook/membership";
import { OUTBOX_MAX, WebhookStore } from "../../durable-objects/webhook/store";
import type { WebhookEvent } from "../../durable-objects/webhook/events";
import { deliverToWebhook } from "../../durable-objects/webhook/direct";

interface View {
  id: string;
  url: string;
  events: string[];
  filter: unknown;
  enabled: boolean;
  disabled_reason: string | null;
  delivery?: { pending: number; dropped: number; consecutive_failures: number; failing_since: string | null };
}

const URL = "https://hooks.example.com/umbra";

describe("webhook routes", () => {
  it("creates, lists, reads, changes and deletes a webhook; the secret is shown once", async () => {
    const created = await json<View & { secret: string }>(call("POST", "/v1/webhooks", { body: { url: URL, events: ["telemetry", "shadow", "telemetry"], filter: { group: "line-1" } } }), 201);
    expect(created).toMatchObject({ url: URL, events: ["telemetry", "shadow"], filter: { group: "line-1" }, enabled: true, disabled_reason: null });
    expect(created.secret).toMatch(/^whsec_/);
    const read = await json<View>(call("GET", `/v1/webhooks/${created.id}`), 200);
    expect(read).not.toHaveProperty("secret");
    expect(read.delivery).toEqual({ pending: 0, dropped: 0, consecutive_failures: 0, failing_since: null });
    const list = await json<{ items: View[] }>(call("GET", "/v1/webhooks?limit=1000"), 200);
    expect(list.items.map((w) => w.id)).toContain(created.id);
    const patched = await json<View>(call("PATCH", `/v1/webhooks/${created.id}`, { body: { events: ["presence"], filter: null } }), 200);
    expect(patched).toMatchObject({ events: ["presence"], filter: null });
    const filters = await runInDurableObject(env.WEBHOOK.get(env.WEBHOOK.idFromName(created.id)), (_o, state) => new WebhookStore(state.storage.sql).getMeta<string[]>("filters"));
    expect(filters).toEqual(["devices/+/presence"]);
    expect((await call("DELETE", `/v1/webhooks/${created.id}`)).status).toBe(204);
    expect((await call("GET", `/v1/webhooks/${created.id}`)).status).toBe(404);
    expect((await call("GET", `/v1/webhooks/${created.id}/deliveries`)).status).toBe(404);
  });

  it("refuses private and loopback URLs when deployed, at creation and on change", async () => {
    for (const url of ["http://127.0.0.1:9000/", "http://localhost/", "http://10.0.0.1/", "http://[::1]/", "http://169.254.169.254/"]) {
      const r = await json<{ detail: string }>(call("POST", "/v1/webhooks", { body: { url, events: ["telemetry"] } }), 400);
      expect(r.detail).toMatch(/^url: /);
    }
    const w = await json<View>(call("POST", "/v1/webhooks", { body: { url: URL, events: ["telemetry"] } }), 201);
    await json(call("PATCH", `/v1/webhooks/${w.id}`, { body: { url: "http://192.168.0.1/" } }), 400);
    await json(call("DELETE", `/v1/webhooks/${w.id}`), 204);
  });

  it("needs the webhooks:write scope", async () => {
    const reader = await json<{ key: string }>(call("POST", "/v1/api-keys", { body: { name: "reader", scopes: ["devices:read"] } }), 201);
    const writer = await json<{ key: string }>(call("POST", "/v1/api-keys", { body: { name: "hooks", scopes: ["webhooks:write"] } }), 201);
    expect((await call("GET", "/v1/webhooks", { token: reader.key })).status).toBe(403);
    const w = await json<View>(call("POST", "/v1/webhooks", { token: writer.key, body: { url: URL, events: ["rule"] } }), 201);
    expect((await call("DELETE", `/v1/webhooks/${w.id}`, { token: writer.key })).status).toBe(204);
  });
});

describe("WebhookObject", () => {
  it("looks up group and tag membership in D1", async () => {
    for (const [id, tags] of [["m-1", []], ["m-2", ["blue"]], ["m-3", ["blue", "red"]]] as const) await json(call("POST", "/v1/devices", { body: { id, tags } }), 201);
    await json(call("POST", "/v1/groups", { body: { name: "m-group" } }), 201);
    await call("PUT", "/v1/groups/m-group/devices/m-1");
    await call("PUT", "/v1/groups/m-group/devices/m-3");
    const m = new Membership(env.DB);
    const ids = ["m-1", "m-2", "m-3", "nobody"];
    expect([...(await m.members({ group: "m-group" }, ids, 0))].sort()).toEqual(["m-1", "m-3"]);
    expect([...(await m.members({ tag: "blue" }, ids, 0))].sort()).toEqual(["m-2", "m-3"]);
    // cached: a change shows only after the cache time
    await call("DELETE", "/v1/groups/m-group/devices/m-3");
    expect([...(await m.members({ tag: "blue" }, ["m-3"], 1))]).toEqual(["m-3"]);
  });

  it("takes a rule action's events whatever its event types and filter, and nothing when the id is unknown", async () => {
    const w = await json<View>(call("POST", "/v1/webhooks", { body: { url: URL, events: ["telemetry"], filter: { deviceId: "someone-else" } } }), 201);
    const firing = { topic: "devices/d9/rules/r1", payload: new TextEncoder().encode(JSON.stringify({ rule: "r1", name: "n", output: { t: 1 }, at: 5 })), qos: 1 as const, retain: false };
    // Through the topic space it would be refused: not an event type of this webhook, not its device.
    await runInDurableObject(env.WEBHOOK.get(env.WEBHOOK.idFromName(w.id)), (o) => o.deliverMessages([firing]));
    expect((await json<View>(call("GET", `/v1/webhooks/${w.id}`), 200)).delivery?.pending).toBe(0);
    expect(await deliverToWebhook(env, w.id, [firing])).toBe("taken");
    // says why it took nothing, so the rule's action is logged as dropped (it was silent)
    expect(await deliverToWebhook(env, "wh_unknown", [firing])).toBe("deleted");
    const log = await json<{ items: { type: string; device_id: string }[] }>(call("GET", `/v1/webhooks/${w.id}/deliveries`), 200);
    expect(log.items.map((d) => [d.type, d.device_id])).toEqual([["rule", "d9"]]);
    await json(call("PATCH", `/v1/webhooks/${w.id}`, { body: { enabled: false } }), 200);
    expect(await deliverToWebhook(env, w.id, [firing])).toBe("disabled");
    await json(call("DELETE", `/v1/webhooks/${w.id}`), 204);
    expect(await deliverToWebhook(env, w.id, [firing])).toBe("deleted");
  });

  it("drops the oldest pending events past the outbox bound", async () => {
    const dropped = await runInDurableObject(env.WEBHOOK.get(env.WEBHOOK.idFromName("bound")), (_o, state) => {
      const store = new WebhookStore(state.storage.sql);
      const batch = Array.from({ length: OUTBOX_MAX + 5 }, (_, i) => ({ id: `evt_${i}`, type: "telemetry", deviceId: "d", body: "{}" }));
      const n = store.enqueue(batch, 0);
      return { n, pending: store.pendingCount(), oldest: store.due(1, 1, new Set())[0]?.id };
    });
    expect(dropped).toEqual({ n: 5, pending: OUTBOX_MAX, oldest: "evt_5" });
  });

  it("sends again at its next start what an earlier life was sending, without waiting out the lease; retries keep their time", async () => {
    const due = await runInDurableObject(env.WEBHOOK.get(env.WEBHOOK.idFromName("leases")), (_o, state) => {
      const store = new WebhookStore(state.storage.sql);
      const batch = ["sending", "retrying", "waiting"].map((id) => ({ id, type: "telemetry", deviceId: "d", body: "{}" }));
      store.enqueue(batch, 1_000);
      const [sending, retrying] = store.due(1_000, 2, new Set());
      store.lease([sending!.seq, retrying!.seq], 46_000);
      store.failed(retrying!.seq, 500, "server error", 31_000);
      // The object dies (kill -9) with "sending" in flight; a new life starts at 2 s.
      new WebhookStore(state.storage.sql).releaseLeases(2_000);
      return store.due(2_000, 16, new Set()).map((r) => r.id);
    });
    // Before: "sending" waited until 46 s (the lease); "retrying" still waits for its backoff.
    expect(due).toEqual(["sending", "waiting"]);
  });

  it("re-checks the URL at delivery and disables itself after failing", async () => {
    const w = await json<View>(call("POST", "/v1/webhooks", { body: { url: URL, events: ["telemetry"] } }), 201);
    const stub = env.WEBHOOK.get(env.WEBHOOK.idFromName(w.id));
    // Rule firings addressed to it (a rule's webhook action): taken whatever its event types.
    const events: WebhookEvent[] = [1, 2, 3].map((n) => ({ type: "rule", deviceId: "d", ts: n, topic: "devices/d/rules/r1", data: { n } }));
    await runInDurableObject(stub, async (o) => {
      // The registry's URL was fine; the object now holds one that a deployed hub must not call.
      await o.configure({ id: w.id, url: "http://10.1.2.3/hook", events: ["telemetry"], filter: null, enabled: true });
      await o.deliverEvents(events);
    });
    const view = await poll(async () => {
      const v = await json<View>(call("GET", `/v1/webhooks/${w.id}`), 200);
      return v.enabled ? null : v;
    });
    expect(view.disabled_reason).toMatch(/every delivery failed since .* \(3 attempts; last: URL refused: loopback, private/);
    // An ISO 8601 time, as every other time in the API (it was epoch ms).
    expect(view.delivery).toMatchObject({ consecutive_failures: 3, failing_since: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    const log = await json<{ items: { status: string; attempts: number; last_error: string; next_attempt_at: string | null }[] }>(call("GET", `/v1/webhooks/${w.id}/deliveries`), 200);
    expect(log.items).toHaveLength(3);
    for (const d of log.items) expect(d).toMatchObject({ status: "pending", attempts: 1, last_error: expect.stringMatching(/URL refused/), next_attempt_at: expect.any(String) });
    // disabled: it takes nothing more, and its filters left the shards
    await runInDurableObject(stub, async (o, state) => {
      await o.deliverEvents(events);
      expect(new WebhookStore(state.storage.sql).getMeta<string[]>("filters")).toEqual([]);
    });
    expect((await json<View>(call("GET", `/v1/webhooks/${w.id}`), 200)).delivery?.pending).toBe(3);
    // Re-enabled by PATCH: the backlog is tried again at once, not when its retries fall due an hour
    // on; the streak starts over (3, not 6). The registry holds the refused URL too, so no request leaves.
    await env.DB.prepare("UPDATE webhooks SET url = ? WHERE id = ?").bind("http://10.1.2.3/hook", w.id).run();
    const again = await json<View>(call("PATCH", `/v1/webhooks/${w.id}`, { body: { enabled: true } }), 200);
    expect(again).toMatchObject({ enabled: true, disabled_reason: null });
    await poll(async () => {
      const l = await json<{ items: { attempts: number }[] }>(call("GET", `/v1/webhooks/${w.id}/deliveries`), 200);
      return l.items.every((d) => d.attempts === 2) ? true : null;
    }, 20_000);
    await poll(async () => ((await json<View>(call("GET", `/v1/webhooks/${w.id}`), 200)).delivery?.consecutive_failures === 3 ? true : null));
  });

  it("does not overwrite a change made in the registry while it disables itself", async () => {
    const w = await json<View>(call("POST", "/v1/webhooks", { body: { url: URL, events: ["telemetry"] } }), 201);
    const stub = env.WEBHOOK.get(env.WEBHOOK.idFromName(w.id));
    const row = () => env.DB.prepare("SELECT enabled, disabled_reason, updated_at FROM webhooks WHERE id = ?").bind(w.id).first<{ enabled: number; disabled_reason: string | null; updated_at: number }>();
    const seen = (await row())!.updated_at;
    const events: WebhookEvent[] = [1, 2, 3].map((n) => ({ type: "rule", deviceId: "d", ts: n, topic: "devices/d/rules/r1", data: { n } }));
    await runInDurableObject(stub, async (o) => {
      await o.configure({ id: w.id, url: "http://10.1.2.3/hook", events: ["telemetry"], filter: null, enabled: true, updatedAt: seen });
      // A PATCH written to the registry whose settings have not reached the object yet.
      await env.DB.prepare("UPDATE webhooks SET url = ?, updated_at = ? WHERE id = ?").bind("https://hooks.example.com/fixed", seen + 5, w.id).run();
      await o.deliverEvents(events);
    });
    await poll(async () => ((await json<View>(call("GET", `/v1/webhooks/${w.id}`), 200)).delivery?.consecutive_failures === 3 ? true : null));
    await new Promise((r) => setTimeout(r, 200));
    // Before: the object's disable overwrote the newer row (enabled 0, its reason) whatever came after.
    expect(await row()).toEqual({ enabled: 1, disabled_reason: null, updated_at: seen + 5 });
    await runInDurableObject(stub, async (_o, state) => {
      const store = new WebhookStore(state.storage.sql);
      expect(store.getMeta<{ enabled: boolean }>("settings")?.enabled).toBe(true);
      expect(store.getMeta<string[]>("filters")).not.toEqual([]);
    });
    // The registry's word rules what comes next (disabled here, so nothing is sent to the new URL).
    const patched = await json<View>(call("PATCH", `/v1/webhooks/${w.id}`, { body: { enabled: false } }), 200);
    expect(patched).toMatchObject({ enabled: false, url: "https://hooks.example.com/fixed", disabled_reason: "disabled by PATCH" });
    await runInDurableObject(stub, async (_o, state) => expect(new WebhookStore(state.storage.sql).getMeta<string[]>("filters")).toEqual([]));
  });
});

describe("fleet telemetry", () => {
  it("refuses a group or tag of more than 1,000 devices, naming the limit", async () => {
    const stmts = Array.from({ length: 1001 }, (_, i) => env.DB.prepare(`INSERT INTO devices (id, tags) VALUES (?, '["huge"]')`).bind(`huge-${i}`));
    await env.DB.batch(stmts);
    const r = await json<{ detail: string }>(call("GET", "/v1/telemetry?tag=huge&key=t&bucket=1h"), 400);
    expect(r.detail).toMatch(/at most 1000 devices/);
  });
});

async function poll<T>(check: () => Promise<T | null>, ms = 10_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 20));
  }
}
