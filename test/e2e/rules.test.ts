/**
 * Rules end to end: syntax errors with positions, plain rules whose actions queue commands and
 * set desired state, hysteresis that does not flap on noisy input, window counts, the test
 * endpoint, and a FOR rule that fires only after the condition held — from its alarm, across a
 * hub restart.
 */
import { describe, expect, it } from "vitest";
import { LocalHub } from "../../bench/lib/hub";
import { api, apiJson, createDevice, eventually } from "./client";
import { JsonSocket } from "./json-socket";
import { WebhookReceiver } from "./webhook-receiver";

type Command = { name: string; payload: unknown };

async function telemetry(device: string, data: Record<string, unknown>, base?: string, token?: string) {
  await apiJson("POST", `/v1/devices/${device}/telemetry`, 202, { body: { data }, base, token });
}

async function commands(device: string, base?: string, token?: string): Promise<Command[]> {
  return (await apiJson<{ items: Command[] }>("GET", `/v1/devices/${device}/commands?limit=100`, 200, { base, token })).items.reverse();
}

describe("rules", () => {
  it("refuses a syntax error with a 400 naming line, column and token", async () => {
    const r = await api("POST", "/v1/rules", { body: { name: "bad", sql: "SELECT temp\nFROM telemetry WHERE temp > 30 FOR 8d" } });
    expect(r.status).toBe(400);
    expect(await r.json()).toMatchObject({ line: 2, column: 36, token: "8d" });
  });

  it("needs its actions' scopes besides rules:write: a rule cannot do what its author cannot", async () => {
    // Found by an outside security run: a rules:write key was refused commands and shadows over
    // REST, then made a rule that sent another device a command and set its desired state.
    const key = async (scopes: string[]) => (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: `rules-${scopes.join("-")}`, scopes } })).key;
    await createDevice("rule-victim");
    const rulesOnly = await key(["rules:write"]);
    const withCommands = await key(["rules:write", "commands:write"]);
    const body = (actions: unknown[]) => ({ name: "esc", sql: "SELECT temp FROM telemetry", scope: { kind: "all" }, actions });
    const command = { type: "command", deviceId: "rule-victim", name: "unlock" };
    const desired = { type: "shadow.desired", deviceId: "rule-victim", state: { door: "open" } };
    for (const actions of [[command], [desired], [{ type: "webhook", webhookId: "wh_x" }], [{ type: "publish", channel: "c1" }]]) {
      const r = await api("POST", "/v1/rules", { token: rulesOnly, body: body(actions) });
      expect(r.status, JSON.stringify(actions)).toBe(403);
    }
    expect((await api("POST", "/v1/rules", { token: withCommands, body: body([desired]) })).status).toBe(403);
    const made = await apiJson<{ id: string }>("POST", "/v1/rules", 201, { token: withCommands, body: { ...body([command]), enabled: false } });
    // Changing what it does, or where and when, needs them too; renaming or disabling does not.
    expect((await api("PATCH", `/v1/rules/${made.id}`, { token: rulesOnly, body: { sql: "SELECT * FROM telemetry" } })).status).toBe(403);
    expect((await api("PATCH", `/v1/rules/${made.id}`, { token: rulesOnly, body: { scope: { kind: "device", deviceId: "x" } } })).status).toBe(403);
    expect((await api("PATCH", `/v1/rules/${made.id}`, { token: rulesOnly, body: { name: "renamed", enabled: false } })).status).toBe(200);
    expect((await api("PATCH", `/v1/rules/${made.id}`, { token: withCommands, body: { sql: "SELECT * FROM telemetry" } })).status).toBe(200);
    // Other test files share this hub: leave no enabled rule on every device behind.
    const plain = await apiJson<{ id: string }>("POST", "/v1/rules", 201, { token: rulesOnly, body: { ...body([]), enabled: false } });
    for (const id of [made.id, plain.id]) await apiJson("DELETE", `/v1/rules/${id}`, 204);
  });

  it("fires a plain rule on each event that passes, with its actions (a command and a desired state)", async () => {
    await createDevice("rule-plain");
    await apiJson("POST", "/v1/rules", 201, {
      body: {
        id: "hot",
        name: "too hot",
        sql: "SELECT temperature AS t, deviceId() AS id FROM telemetry WHERE temperature > 30",
        scope: { kind: "device", deviceId: "rule-plain" },
        actions: [{ type: "command", name: "cool" }, { type: "shadow.desired", state: { fan: "on" } }],
      },
    });
    await telemetry("rule-plain", { temperature: 25 });
    await telemetry("rule-plain", { temperature: 31 });
    const [cmd] = await eventually(async () => {
      const list = await commands("rule-plain");
      return list.length ? list : null;
    });
    expect(cmd).toMatchObject({ name: "cool", payload: { t: 31, id: "rule-plain" } });
    const shadow = await eventually(async () => {
      const s = await apiJson<{ state: { desired?: Record<string, unknown> } }>("GET", "/v1/devices/rule-plain/shadow", 200);
      return s.state.desired?.fan ? s : null;
    });
    expect(shadow.state.desired).toEqual({ fan: "on" });
    const tested = await apiJson<{ fired: boolean; outputs: unknown[] }>("POST", "/v1/rules/hot/test", 200, { body: { input: { source: "telemetry", data: { temperature: 40 } } } });
    expect(tested).toMatchObject({ fired: true, outputs: [{ t: 40, id: "test-device" }] });
    // The test had no side effects.
    expect(await commands("rule-plain")).toHaveLength(1);
  });

  it("refuses actions naming a device, webhook or channel the registry does not hold, and never queues for a deleted one", async () => {
    await createDevice("rule-src");
    const rule = (actions: unknown[]) => ({ name: "typo", sql: "SELECT t FROM telemetry WHERE t > 30", scope: { kind: "device", deviceId: "rule-src" }, actions });
    for (const action of [
      { type: "command", deviceId: "no-such-device", name: "boo" },
      { type: "shadow.desired", deviceId: "no-such-device", state: { a: 1 } },
      { type: "webhook", webhookId: "wh_nope" },
      { type: "publish", channel: "no-such-channel" },
    ]) {
      const r = await api("POST", "/v1/rules", { body: rule([action]) });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { detail: string }).detail).toMatch(/^actions: no (device|webhook|channel) "/);
    }
    // A target deleted after the rule was made: the firing does not bring back an object for it.
    await createDevice("rule-target");
    const { id } = await apiJson<{ id: string }>("POST", "/v1/rules", 201, { body: rule([{ type: "command", deviceId: "rule-target", name: "boo" }]) });
    expect((await api("PATCH", `/v1/rules/${id}`, { body: { actions: [{ type: "webhook", webhookId: "wh_nope" }] } })).status).toBe(400);
    await apiJson("DELETE", "/v1/devices/rule-target", 204);
    await telemetry("rule-src", { t: 31 });
    await new Promise((r) => setTimeout(r, 1_000));
    await createDevice("rule-target");
    expect(await commands("rule-target")).toEqual([]);
  });

  it("stops a rule that answers its own action (desired state on shadow.desired, here and across two devices) instead of looping", async () => {
    await createDevice("rule-loop");
    await createDevice("rule-ping");
    await createDevice("rule-pong");
    const loop = (id: string, device: string, target?: string) => ({
      id,
      name: id,
      sql: "SELECT * FROM shadow.desired",
      scope: { kind: "device", deviceId: device },
      actions: [{ type: "shadow.desired", ...(target ? { deviceId: target } : {}), state: { n: 1 } }],
    });
    await apiJson("POST", "/v1/rules", 201, { body: loop("self-loop", "rule-loop") });
    await apiJson("POST", "/v1/rules", 201, { body: loop("ping", "rule-ping", "rule-pong") });
    await apiJson("POST", "/v1/rules", 201, { body: loop("pong", "rule-pong", "rule-ping") });
    for (const d of ["rule-loop", "rule-ping"]) await apiJson("POST", `/v1/devices/${d}/shadow`, 200, { body: { state: { desired: { go: 1 } } } });
    await new Promise((r) => setTimeout(r, 2_000));
    const versions = async () => Promise.all(["rule-loop", "rule-ping", "rule-pong"].map(async (d) => (await apiJson<{ version: number }>("GET", `/v1/devices/${d}/shadow`, 200)).version));
    const settled = await versions();
    for (const v of settled) expect(v).toBeLessThanOrEqual(20);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await versions()).toEqual(settled);
    for (const id of ["self-loop", "ping", "pong"]) await apiJson("DELETE", `/v1/rules/${id}`, 204);
  });

  it("stops a rule that answers each command's result with another command (here and across two devices) instead of looping", async () => {
    const ids = ["rule-cmd-self", "rule-cmd-a", "rule-cmd-b"];
    const sockets = await Promise.all(ids.map(async (id) => JsonSocket.open(await createDevice(id))));
    // Devices that complete every command at once.
    for (const s of sockets) {
      s.ws.on("message", (d) => {
        const m = JSON.parse(String(d)) as { type: string; id: string };
        if (m.type === "command") s.send({ type: "command.result", id: m.id, status: "completed" });
      });
    }
    const again = (id: string, device: string, target?: string) => ({
      id,
      name: id,
      sql: "SELECT * FROM command.result",
      scope: { kind: "device", deviceId: device },
      actions: [{ type: "command", ...(target ? { deviceId: target } : {}), name: "again" }],
    });
    await apiJson("POST", "/v1/rules", 201, { body: again("cmd-self-loop", "rule-cmd-self") });
    await apiJson("POST", "/v1/rules", 201, { body: again("cmd-ping", "rule-cmd-a", "rule-cmd-b") });
    await apiJson("POST", "/v1/rules", 201, { body: again("cmd-pong", "rule-cmd-b", "rule-cmd-a") });
    for (const d of ["rule-cmd-self", "rule-cmd-a"]) await apiJson("POST", `/v1/devices/${d}/commands`, 201, { body: { name: "start" } });
    await new Promise((r) => setTimeout(r, 2_000));
    const counts = async () => Promise.all(ids.map(async (d) => (await commands(d)).length));
    const settled = await counts();
    // Before: hundreds within two seconds, without end (each result fired the rule at depth 0 again).
    for (const n of settled) expect(n).toBeLessThanOrEqual(12);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await counts()).toEqual(settled);
    for (const id of ["cmd-self-loop", "cmd-ping", "cmd-pong"]) await apiJson("DELETE", `/v1/rules/${id}`, 204);
    await Promise.all(sockets.map((s) => s.close()));
  });

  it("fires hysteresis once per crossing on noisy input, and counts a window right", async () => {
    await createDevice("rule-noisy");
    await apiJson("POST", "/v1/rules", 201, {
      body: { name: "hysteresis", sql: "SELECT temp FROM telemetry WHEN temp > 30 UNTIL temp < 28", scope: { kind: "device", deviceId: "rule-noisy" }, actions: [{ type: "command", name: "alert" }] },
    });
    await apiJson("POST", "/v1/rules", 201, {
      body: {
        name: "door",
        sql: "SELECT COUNT(*) OVER 1m AS n FROM telemetry WHERE door = 'open' HAVING n >= 3",
        scope: { kind: "device", deviceId: "rule-noisy" },
        actions: [{ type: "command", name: "door" }],
      },
    });
    for (const temp of [31, 29, 31, 29.5, 32, 27, 31]) await telemetry("rule-noisy", { temp });
    for (let i = 0; i < 4; i++) await telemetry("rule-noisy", { door: "open" });
    await telemetry("rule-noisy", { door: "closed" });
    const list = await eventually(async () => {
      const l = await commands("rule-noisy");
      return l.length >= 4 ? l : null;
    });
    expect(list.filter((c) => c.name === "alert").map((c) => c.payload)).toEqual([{ temp: 31 }, { temp: 31 }]);
    expect(list.filter((c) => c.name === "door").map((c) => c.payload)).toEqual([{ n: 3 }, { n: 4 }]);
  });
});

describe("a presence rule", () => {
  it("sees a device that was connected when the hub stopped as offline once the hub is back", async () => {
    // A hub of its own: this test restarts it.
    await LocalHub.with("umbra-rules-", {}, async (hub) => {
      const admin = hub.adminToken;
      const token = await createDevice("rule-gone", hub.url, admin);
      await apiJson("POST", "/v1/rules", 201, {
        base: hub.url,
        token: admin,
        body: { name: "gone", sql: "SELECT connected FROM presence WHERE connected = false", scope: { kind: "device", deviceId: "rule-gone" }, actions: [{ type: "command", name: "gone" }] },
      });
      const dev = await JsonSocket.open(token, { base: hub.url });
      dev.send({ type: "ping" });
      await dev.next((m) => m.type === "pong");
      const status = async () => (await apiJson<{ status: { connected: boolean } }>("GET", "/v1/devices/rule-gone", 200, { base: hub.url, token: admin })).status;
      expect((await status()).connected).toBe(true);
      await hub.stop();
      await hub.start();
      expect((await status()).connected).toBe(false);
      const fired = await eventually(async () => {
        const l = await commands("rule-gone", hub.url, admin);
        return l.length ? l : null;
      });
      expect(fired).toMatchObject([{ name: "gone", payload: { connected: false } }]);
    });
  }, 120_000);
});

describe("presence across a restart, with nobody asking", () => {
  it("is seen offline by a webhook once the object's presence check fires, without a request to the device", async () => {
    const receiver = await WebhookReceiver.start();
    // A hub of its own: this test restarts it. The check every 2 s instead of 10 min.
    await LocalHub.with("umbra-presence-", { PRESENCE_CHECK_SECONDS: "2", WEBHOOK_ALLOW_PRIVATE: "true" }, async (hub) => {
      const admin = hub.adminToken;
      const token = await createDevice("pres-gone", hub.url, admin);
      await apiJson("POST", "/v1/webhooks", 201, { base: hub.url, token: admin, body: { url: receiver.url, events: ["presence"], filter: { deviceId: "pres-gone" } } });
      const dev = await JsonSocket.open(token, { base: hub.url });
      dev.send({ type: "ping" });
      await dev.next((m) => m.type === "pong");
      await receiver.waitFor((e) => e.type === "presence" && (e.data as { connected?: boolean }).connected === true);
      await hub.stop();
      await hub.start();
      // Nothing reads the device: before, no one heard it go until someone asked about it.
      const [gone] = await receiver.waitFor((e) => e.type === "presence" && (e.data as { connected?: boolean }).connected === false, 1, 30_000);
      expect(gone!.event).toMatchObject({ deviceId: "pres-gone", topic: "devices/pres-gone/presence", data: { connected: false, protocol: "json" } });
    });
    await receiver.close();
  }, 120_000);
});

describe("a presence rule on a hibernated device", () => {
  it("sees the disconnect that wakes the object", async () => {
    const token = await createDevice("rule-hib");
    await apiJson("POST", "/v1/rules", 201, {
      body: { name: "gone", sql: "SELECT connected FROM presence WHERE connected = false", scope: { kind: "device", deviceId: "rule-hib" }, actions: [{ type: "command", name: "gone" }] },
    });
    const dev = await JsonSocket.open(token);
    // Idle long enough for workerd to hibernate the object (its socket stays open).
    await new Promise((r) => setTimeout(r, 30_000));
    dev.ws.close();
    const fired = await eventually(async () => {
      const l = await commands("rule-hib");
      return l.length ? l : null;
    });
    expect(fired).toMatchObject([{ name: "gone", payload: { connected: false } }]);
  }, 60_000);
});

describe("a presence rule on its times", () => {
  it("reads connected_at, disconnected_at and last_seen as epoch ms, so it can compare and subtract them", async () => {
    // Found by an outside tester: presence reached rules with the API's ISO strings, so a
    // comparison with timestamp() was unknown and the rule never fired.
    const token = await createDevice("rule-pres-ms");
    await apiJson("POST", "/v1/rules", 201, {
      body: {
        name: "short session",
        sql: "SELECT connected_at, last_seen, disconnected_at - connected_at AS session FROM presence WHERE connected = false AND connected_at > timestamp() - 60000 AND last_seen >= connected_at",
        scope: { kind: "device", deviceId: "rule-pres-ms" },
        actions: [{ type: "command", name: "gone" }],
      },
    });
    const before = Date.now();
    const dev = await JsonSocket.open(token);
    dev.send({ type: "ping" });
    await dev.next((m) => m.type === "pong");
    dev.ws.close();
    const fired = await eventually(async () => {
      const l = await commands("rule-pres-ms");
      return l.length ? l : null;
    });
    const payload = fired[0]!.payload as { connected_at: number; last_seen: number; session: number };
    expect(fired).toHaveLength(1);
    expect(payload.connected_at).toBeGreaterThanOrEqual(before - 5_000);
    expect(payload.last_seen).toBeGreaterThanOrEqual(payload.connected_at);
    expect(payload.session).toBeGreaterThanOrEqual(0);
    expect(payload.session).toBeLessThan(60_000);
  });
});

describe("a FOR rule", () => {
  it("fires only after the condition held, from its alarm, across a restart", async () => {
    // A hub of its own: this test restarts it.
    await LocalHub.with("umbra-rules-", {}, async (hub) => {
      const admin = hub.adminToken;
      await createDevice("rule-for", hub.url, admin);
      await apiJson("POST", "/v1/rules", 201, {
        base: hub.url,
        token: admin,
        body: { name: "overheated", sql: "SELECT temp FROM telemetry WHERE temp > 30 FOR 4s", scope: { kind: "device", deviceId: "rule-for" }, actions: [{ type: "command", name: "shutdown" }] },
      });
      await telemetry("rule-for", { temp: 35 }, hub.url, admin);
      await new Promise((r) => setTimeout(r, 1_000));
      expect(await commands("rule-for", hub.url, admin)).toHaveLength(0);
      await hub.stop();
      await hub.start();
      // No further event: the alarm the object set before the restart fires the rule.
      const fired = await eventually(async () => {
        const l = await commands("rule-for", hub.url, admin);
        return l.length ? l : null;
      }, 20_000);
      expect(fired).toMatchObject([{ name: "shutdown", payload: { temp: 35 } }]);
    });
  }, 120_000);

  it("fires when its deadline passed while the hub was down: the alarm wakes the object before any request", async () => {
    // A hub of its own: this test restarts it.
    await LocalHub.with("umbra-rules-", {}, async (hub) => {
      const admin = hub.adminToken;
      await createDevice("rule-overdue", hub.url, admin);
      await apiJson("POST", "/v1/rules", 201, {
        base: hub.url,
        token: admin,
        body: { name: "overheated", sql: "SELECT temp FROM telemetry WHERE temp > 30 FOR 2s", scope: { kind: "device", deviceId: "rule-overdue" }, actions: [{ type: "command", name: "shutdown" }] },
      });
      await telemetry("rule-overdue", { temp: 35 }, hub.url, admin);
      await hub.stop();
      await new Promise((r) => setTimeout(r, 3_000));
      await hub.start();
      // The overdue alarm runs at start, in an object no request has named yet; only then look.
      await new Promise((r) => setTimeout(r, 3_000));
      const fired = await eventually(async () => {
        const l = await commands("rule-overdue", hub.url, admin);
        return l.length ? l : null;
      }, 10_000);
      expect(fired).toMatchObject([{ name: "shutdown", payload: { temp: 35 } }]);
    });
  }, 120_000);
});
