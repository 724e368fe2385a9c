/**
 * Topic policies as data, end to end: apps allowed and denied on `factory/+/alarms`, a
 * subscription in force at SUBACK, device policies with `${attr:…}`, `${tag:…}` and `${group}`
 * that follow registry changes into live sessions, the simulator, and the anonymous sandbox.
 */
import { describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { adminToken, apiJson, createDevice } from "./client";
import { Inbox, connectMqtt, publishCode } from "./mqtt-client";

async function appKey(name: string): Promise<{ id: string; key: string }> {
  return apiJson<{ id: string; key: string }>("POST", "/v1/api-keys", 201, { body: { name, scopes: ["devices:read"] } });
}

function subackCode(c: MqttClient, filter: string): Promise<number> {
  return new Promise((resolve) =>
    c.subscribe(filter, { qos: 1 }, (err, granted) => {
      const packet = (err as { packet?: { granted?: number[] } } | null)?.packet;
      resolve(packet?.granted?.[0] ?? granted?.[0]?.qos ?? -1);
    }),
  );
}

describe("topic policies", () => {
  it("never lets a policy grant publishing on the hub's own topics (shadow answers, presence, rule firings)", async () => {
    const token = await createDevice("pol-forge");
    await apiJson("POST", "/v1/policies", 201, {
      body: { id: "pol-forge", statements: [{ effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["$aws/things/${deviceId}/shadow/#", "devices/${deviceId}/#"] }] },
    });
    await apiJson("PUT", "/v1/policies/pol-forge/attachments/device/pol-forge", 204);
    const c = await connectMqtt("/mqtt/pol-forge", { clientId: "pol-forge", password: token, protocolVersion: 5 });
    const inbox = new Inbox(c);
    await c.subscribeAsync("$aws/things/pol-forge/shadow/update/accepted", { qos: 1 });
    // Before: PUBACK 0 and every app subscribed got the forged answer and presence.
    expect(await publishCode(c, "$aws/things/pol-forge/shadow/update/accepted", JSON.stringify({ state: { reported: { forged: 1 } } }))).toBe(0x87);
    expect(await publishCode(c, "devices/pol-forge/presence", JSON.stringify({ connected: false }))).toBe(0x87);
    expect(await publishCode(c, "devices/pol-forge/rules/r1", "{}")).toBe(0x87);
    // The requests the policy grants still work, and their real answers arrive.
    expect(await publishCode(c, "$aws/things/pol-forge/shadow/update", JSON.stringify({ state: { reported: { real: 1 } } }))).toBe(0);
    const [answer] = await inbox.waitFor("$aws/things/pol-forge/shadow/update/accepted");
    expect(JSON.parse(answer!.payload)).toMatchObject({ state: { reported: { real: 1 } } });
    await c.endAsync();
  });

  it("does not deliver a queued message the policy stopped allowing before the device came back", async () => {
    const token = await createDevice("pol-queued");
    await apiJson("POST", "/v1/policies", 201, { body: { id: "pol-queued", statements: [{ effect: "allow", actions: ["subscribe", "receive"], topics: ["news/#"] }] } });
    await apiJson("PUT", "/v1/policies/pol-queued/attachments/device/pol-queued", 204);
    const opts = { clientId: "pol-queued", password: token, protocolVersion: 5 as const, clean: false, properties: { sessionExpiryInterval: 300 } };
    const dev = await connectMqtt("/mqtt/pol-queued", opts);
    await dev.subscribeAsync("news/#", { qos: 1 });
    await dev.endAsync();
    const app = await connectMqtt("/mqtt", { clientId: "pol-queued-app", username: "app", password: adminToken(), protocolVersion: 5 });
    await app.publishAsync("news/secret/1", "hidden", { qos: 1 });
    await app.publishAsync("news/open/1", "fine", { qos: 1 });
    // The policy now keeps news/secret/ from the device, while its session holds both messages.
    await apiJson("PUT", "/v1/policies/pol-queued", 200, {
      body: { statements: [{ effect: "allow", actions: ["subscribe", "receive"], topics: ["news/#"] }, { effect: "deny", actions: ["receive"], topics: ["news/secret/#"] }] },
    });
    const back = await connectMqtt("/mqtt/pol-queued", opts);
    const inbox = new Inbox(back);
    await app.publishAsync("news/open/2", "after", { qos: 1 });
    await inbox.waitFor("news/open/2");
    // Before: news/secret/1 was delivered from the queue.
    expect(inbox.messages.map((m) => m.topic)).toEqual(["news/open/1", "news/open/2"]);
    await Promise.all([back.endAsync(), app.endAsync()]);
  });

  it("publishes a will only if the client may publish it when it goes (a right taken and given back keeps it)", async () => {
    const allow = { statements: [{ effect: "allow", actions: ["publish"], topics: ["wl/#"] }] };
    const deny = { statements: [{ effect: "deny", actions: ["publish"], topics: ["wl/#"] }] };
    await apiJson("POST", "/v1/policies", 201, { body: { id: "pol-will", ...allow } });
    const app = await connectMqtt("/mqtt", { clientId: "pol-will-app", username: "app", password: adminToken(), protocolVersion: 5 });
    const inbox = new Inbox(app);
    await app.subscribeAsync("wl/#", { qos: 1 });
    for (const [id, changes, published] of [["pol-will-back", [deny, allow], true], ["pol-will-gone", [deny], false]] as const) {
      const token = await createDevice(id);
      await apiJson("PUT", `/v1/policies/pol-will/attachments/device/${id}`, 204);
      await apiJson("PUT", "/v1/policies/pol-will", 200, { body: allow });
      const will = { topic: `wl/${id}`, payload: Buffer.from("gone"), qos: 1 as const, retain: false };
      const c = await connectMqtt(`/mqtt/${id}`, { clientId: id, password: token, protocolVersion: 5, will });
      for (const body of changes) await apiJson("PUT", "/v1/policies/pol-will", 200, { body });
      c.stream.destroy();
      if (published) await inbox.waitFor(`wl/${id}`); // before the fix at 2e751b6: dropped for good at the deny
      else await new Promise((r) => setTimeout(r, 1_500));
      expect(inbox.on(`wl/${id}`).length, id).toBe(published ? 1 : 0);
      c.end(true);
    }
    await app.endAsync();
  });

  it("lists a policy's attachments a page at a time, like every list", async () => {
    await apiJson("POST", "/v1/policies", 201, { body: { id: "pol-pages", statements: [{ effect: "allow", actions: ["subscribe"], topics: ["pages/#"] }] } });
    for (const id of ["pp-1", "pp-2", "pp-3"]) {
      await createDevice(id);
      await apiJson("PUT", `/v1/policies/pol-pages/attachments/device/${id}`, 204);
    }
    await apiJson("POST", "/v1/groups", 201, { body: { name: "pol-pages-g" } });
    await apiJson("PUT", "/v1/policies/pol-pages/attachments/group/pol-pages-g", 204);
    type Page = { items: { kind: string; id: string }[]; next_cursor: string | null };
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: Page = await apiJson<Page>("GET", `/v1/policies/pol-pages/attachments?limit=2${cursor ? `&cursor=${cursor}` : ""}`, 200);
      expect(page.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.items.map((a) => `${a.kind}/${a.id}`));
      cursor = page.next_cursor;
    } while (cursor);
    // Before: {items} alone, every attachment at once, no next_cursor.
    expect(seen).toEqual(["device/pp-1", "device/pp-2", "device/pp-3", "group/pol-pages-g"]);
  });

  it("lets one app in on factory/+/alarms and keeps another out; a subscription is in force at its SUBACK", async () => {
    await apiJson("POST", "/v1/policies", 201, { body: { id: "factory-rw", statements: [{ effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["factory/#"] }] } });
    await apiJson("POST", "/v1/policies", 201, { body: { id: "factory-deny", statements: [{ effect: "deny", actions: ["publish", "subscribe", "receive"], topics: ["factory/#"] }] } });
    const [a, b, c] = await Promise.all([appKey("factory-a"), appKey("factory-b"), appKey("factory-c")]);
    for (const [policy, key] of [["factory-rw", a], ["factory-deny", b], ["factory-rw", c]] as const) {
      await apiJson("PUT", `/v1/policies/${policy}/attachments/api-key/${key.id}`, 204);
    }
    const appA = await connectMqtt("/mqtt", { clientId: "line-monitor", username: "app", password: a.key, protocolVersion: 5 });
    const appB = await connectMqtt("/mqtt", { clientId: "intruder", username: "app", password: b.key, protocolVersion: 5 });
    const appC = await connectMqtt("/mqtt", { clientId: "line-1", username: "app", password: c.key, protocolVersion: 5 });
    const inboxA = new Inbox(appA);
    const inboxB = new Inbox(appB);
    expect(await subackCode(appA, "factory/+/alarms")).toBe(1);
    // In force at SUBACK: the very next publish arrives.
    expect(await publishCode(appC, "factory/line1/alarms", "overheat")).toBe(0);
    expect((await inboxA.waitFor("factory/line1/alarms"))[0]!.payload).toBe("overheat");

    expect(await subackCode(appB, "factory/+/alarms")).toBe(0x87);
    expect(await publishCode(appB, "factory/line1/alarms", "spoof")).toBe(0x87);
    await new Promise((r) => setTimeout(r, 300));
    expect(inboxA.on("factory/line1/alarms").map((m) => m.payload)).toEqual(["overheat"]);
    expect(inboxB.messages).toHaveLength(0);

    const decision = await apiJson<{ allowed: boolean; statement: { index: number; effect: string } | null }>("POST", "/v1/policies/factory-deny/simulate", 200, {
      body: { principal: { clientId: "intruder" }, action: "publish", topic: "factory/line1/alarms" },
    });
    expect(decision).toMatchObject({ allowed: false, statement: { index: 0, effect: "deny" } });
    await Promise.all([appA.endAsync(), appB.endAsync(), appC.endAsync()]);
  });

  it("evaluates device variables (${attr:…}, ${tag:…}, ${group}) and follows registry changes into a live session", async () => {
    const token = await apiJson<{ credential: { token: string } }>("POST", "/v1/devices", 201, {
      body: { id: "pol-dev", tags: ["floor:3"], attributes: { site: "north" } },
    });
    await apiJson("POST", "/v1/groups", 201, { body: { name: "pol-line" } });
    await apiJson("PUT", "/v1/groups/pol-line/devices/pol-dev", 204);
    await apiJson("POST", "/v1/policies", 201, {
      body: { id: "pol-sites", statements: [{ effect: "allow", actions: ["publish"], topics: ["sites/${attr:site}/${tag:floor}/#", "lines/${group}/${deviceId}"] }] },
    });
    const dev = await connectMqtt("/mqtt/pol-dev", { clientId: "pol-dev", password: token.credential.token, protocolVersion: 5 });
    // No policy attached yet: the default device policy applies.
    expect(await publishCode(dev, "sites/north/3/temp", "1")).toBe(0x87);
    await apiJson("PUT", "/v1/policies/pol-sites/attachments/group/pol-line", 204);
    expect(await publishCode(dev, "sites/north/3/temp", "1")).toBe(0);
    expect(await publishCode(dev, "lines/pol-line/pol-dev", "1")).toBe(0);
    expect(await publishCode(dev, "sites/south/3/temp", "1")).toBe(0x87);
    await apiJson("PATCH", "/v1/devices/pol-dev", 200, { body: { attributes: { site: "south" } } });
    expect(await publishCode(dev, "sites/south/3/temp", "1")).toBe(0);
    expect(await publishCode(dev, "sites/north/3/temp", "1")).toBe(0x87);
    // Simulated for the registered device: its variables come from the registry.
    const d = await apiJson<{ allowed: boolean; statement: { index: number } | null }>("POST", "/v1/policies/pol-sites/simulate", 200, {
      body: { principal: { deviceId: "pol-dev" }, action: "publish", topic: "sites/south/3/x" },
    });
    expect(d).toMatchObject({ allowed: true, statement: { index: 0 } });
    await apiJson("DELETE", "/v1/groups/pol-line/devices/pol-dev", 204);
    expect(await publishCode(dev, "sites/south/3/temp", "1")).toBe(0x87);
    await dev.endAsync();
  });

  it("reaches the live sessions of every member when a policy is attached to a group larger than one query's list", async () => {
    // 95 members: their access is read 90 devices a query, so the last five come from a second slice.
    const ids = Array.from({ length: 95 }, (_, i) => `pol-fleet-${String(i).padStart(2, "0")}`);
    await apiJson("POST", "/v1/groups", 201, { body: { name: "pol-fleet" } });
    const tokens = new Map<string, string>();
    for (let i = 0; i < ids.length; i += 16) {
      await Promise.all(ids.slice(i, i + 16).map(async (id) => tokens.set(id, await createDevice(id))));
      await Promise.all(ids.slice(i, i + 16).map((id) => apiJson("PUT", `/v1/groups/pol-fleet/devices/${id}`, 204)));
    }
    const live = ["pol-fleet-00", "pol-fleet-89", "pol-fleet-90", "pol-fleet-94"];
    const clients = await Promise.all(live.map((id) => connectMqtt(`/mqtt/${id}`, { clientId: id, password: tokens.get(id)!, protocolVersion: 5 })));
    for (const c of clients) expect(await publishCode(c, "fleet/x", "1")).toBe(0x87);
    await apiJson("POST", "/v1/policies", 201, { body: { id: "pol-fleet", statements: [{ effect: "allow", actions: ["publish"], topics: ["fleet/${deviceId}", "fleet/${group}/x"] }] } });
    await apiJson("PUT", "/v1/policies/pol-fleet/attachments/group/pol-fleet", 204);
    // Followed before the call answered, each with its own variables.
    for (const [i, c] of clients.entries()) {
      expect(await publishCode(c, `fleet/${live[i]}`, "1")).toBe(0);
      expect(await publishCode(c, "fleet/pol-fleet/x", "1")).toBe(0);
      expect(await publishCode(c, `fleet/${live[(i + 1) % live.length]}`, "1")).toBe(0x87);
    }
    await apiJson("DELETE", "/v1/policies/pol-fleet/attachments/group/pol-fleet", 204);
    for (const c of clients) expect(await publishCode(c, "fleet/pol-fleet/x", "1")).toBe(0x87);
    await Promise.all(clients.map((c) => c.endAsync()));
  });

  it("refuses a malformed statement with a 400 naming it", async () => {
    const r = await apiJson<{ detail: string }>("POST", "/v1/policies", 400, { body: { statements: [{ effect: "allow", actions: ["publish"], topics: ["a/#/b"] }] } });
    expect(r.detail).toMatch(/statements\.0\.topics\.0/);
  });
});

describe("policy attachments", () => {
  it("go with the device or group they were attached to: one created again with the name starts without them", async () => {
    await apiJson("POST", "/v1/policies", 201, { body: { id: "pol-wide", statements: [{ effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["#"] }] } });
    await createDevice("pol-victim");
    await createDevice("pol-heir");
    await apiJson("PUT", "/v1/policies/pol-wide/attachments/device/pol-heir", 204);
    await apiJson("POST", "/v1/groups", 201, { body: { name: "pol-gone-group" } });
    await apiJson("PUT", "/v1/policies/pol-wide/attachments/group/pol-gone-group", 204);
    await apiJson("DELETE", "/v1/devices/pol-heir", 204);
    await apiJson("DELETE", "/v1/groups/pol-gone-group", 204);
    // Before: both attachments were still listed, and applied to whoever took the names next.
    expect((await apiJson<{ items: unknown[] }>("GET", "/v1/policies/pol-wide/attachments", 200)).items).toEqual([]);
    const token = await createDevice("pol-heir");
    await apiJson("POST", "/v1/groups", 201, { body: { name: "pol-gone-group" } });
    await apiJson("PUT", "/v1/groups/pol-gone-group/devices/pol-heir", 204);
    const heir = await connectMqtt("/mqtt/pol-heir", { clientId: "pol-heir", password: token, protocolVersion: 5 });
    await expect(heir.subscribeAsync("devices/pol-victim/telemetry", { qos: 1 })).rejects.toThrow(/Not authorized/);
    await heir.endAsync();
    await apiJson("DELETE", "/v1/policies/pol-wide", 204);
  });
});

describe("the anonymous sandbox", () => {
  it("lets clients without credentials use the open topic space of their own, and nothing else", async () => {
    const one = await connectMqtt("/mqtt", { clientId: "sandbox-1", protocolVersion: 5, username: undefined });
    const two = await connectMqtt("/mqtt", { clientId: "", protocolVersion: 4, clean: true, username: undefined });
    const inbox = new Inbox(two);
    await two.subscribeAsync("TopicA/+", { qos: 1 });
    expect(await publishCode(one, "TopicA/B", "hello")).toBe(0);
    expect((await inbox.waitFor("TopicA/B"))[0]!.payload).toBe("hello");
    expect(await publishCode(one, "devices/somebody/commands/x", "{}")).toBe(0x87);
    // The sandbox is apart: an authenticated app on the same topic sees nothing of it.
    const key = await appKey("sandbox-watch");
    await apiJson("POST", "/v1/policies", 201, { body: { id: "topic-a", statements: [{ effect: "allow", actions: ["subscribe", "receive"], topics: ["TopicA/#"] }] } });
    await apiJson("PUT", `/v1/policies/topic-a/attachments/api-key/${key.id}`, 204);
    const app = await connectMqtt("/mqtt", { clientId: "watcher", username: "app", password: key.key, protocolVersion: 5 });
    const appInbox = new Inbox(app);
    await app.subscribeAsync("TopicA/#", { qos: 1 });
    await one.publishAsync("TopicA/B", "sandboxed", { qos: 1 });
    await inbox.waitFor("TopicA/B", 2);
    await new Promise((r) => setTimeout(r, 300));
    expect(appInbox.messages).toHaveLength(0);
    await Promise.all([one.endAsync(), two.endAsync(), app.endAsync()]);
  });

  it("refuses a client id with control characters as a bad client id, not as a server failure", async () => {
    // Before: the id could not go into the session's header, and the client got 0x88 Server unavailable.
    const refused = await connectMqtt("/mqtt", { clientId: "two\nlines", protocolVersion: 5, username: undefined }).then(
      () => 0,
      (e: { code?: number }) => e.code ?? -1,
    );
    expect(refused).toBe(0x85);
  });

  it("never reaches a device, even when a policy attached to anonymous allows every topic", async () => {
    const token = await createDevice("sandbox-target");
    const device = await connectMqtt("/mqtt/sandbox-target", { clientId: "sandbox-target", password: token, protocolVersion: 5 });
    const deviceInbox = new Inbox(device);
    await device.subscribeAsync("devices/sandbox-target/commands/#", { qos: 1 });
    await apiJson("POST", "/v1/policies", 201, { body: { id: "sandbox-open", statements: [{ effect: "allow", actions: ["publish", "subscribe", "receive"], topics: ["#", "$aws/#"] }] } });
    await apiJson("PUT", "/v1/policies/sandbox-open/attachments/anonymous/*", 204);
    try {
      const anon = await connectMqtt("/mqtt", { clientId: "sandbox-open-1", protocolVersion: 5, username: undefined });
      expect(await publishCode(anon, "open/topic", "fine")).toBe(0);
      // Before: PUBACK 0, and the publish became a real command queued for the device.
      expect(await publishCode(anon, "devices/sandbox-target/commands/reboot", "{}")).toBe(0x87);
      expect(await publishCode(anon, "$aws/things/sandbox-target/shadow/update", '{"state":{"desired":{"on":true}}}')).toBe(0x87);
      // Nor subscribe to them (README: refused whatever policy is attached; before, SUBACK granted QoS 1).
      for (const topic of ["devices/sandbox-target/telemetry", "$aws/things/sandbox-target/shadow/update/delta"]) await expect(anon.subscribeAsync(topic, { qos: 1 })).rejects.toThrow(/Not authorized/);
      expect((await anon.subscribeAsync("open/#", { qos: 1 }))[0]?.qos).toBe(1);
      await anon.endAsync();
      await new Promise((r) => setTimeout(r, 300));
      expect(deviceInbox.messages).toHaveLength(0);
      const commands = await apiJson<{ items: unknown[] }>("GET", "/v1/devices/sandbox-target/commands", 200);
      expect(commands.items).toHaveLength(0);
      await apiJson("GET", "/v1/devices/sandbox-target/shadow", 404);
    } finally {
      await apiJson("DELETE", "/v1/policies/sandbox-open/attachments/anonymous/*", 204);
      await device.endAsync();
    }
  });
});
