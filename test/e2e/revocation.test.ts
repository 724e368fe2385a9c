/**
 * Revoking or expiring a credential, or disabling a device, ends every live session that
 * depends on it within about a second, in each protocol's own terms: MQTT v5 DISCONNECT
 * 0x87 / 0x98 (3.1.1: the close), JSON `error` then close, app sessions too; deleting a device
 * ends its sessions and its live streams.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { adminToken, api, apiJson, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket, closeFrameCode } from "./json-socket";
import { RawMqtt } from "./raw-mqtt";

async function credentialOf(id: string): Promise<string> {
  const list = await apiJson<{ items: { id: string }[] }>("GET", `/v1/devices/${id}/credentials`, 200);
  return list.items[0]!.id;
}

/** A devices:read API key and an OAuth access token, each with the path that revokes it. */
async function appCredentials(name: string): Promise<[credential: string, revoke: string][]> {
  const key = await apiJson<{ id: string; key: string }>("POST", "/v1/api-keys", 201, { body: { name, scopes: ["devices:read"] } });
  const client = await apiJson<{ client_id: string; client_secret: string }>("POST", "/v1/oauth-clients", 201, { body: { name, scopes: ["devices:read"] } });
  const tokenRes = await fetch(`${hubUrl()}/oauth/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` },
    body: "grant_type=client_credentials",
  });
  const access = ((await tokenRes.json()) as { access_token: string }).access_token;
  return [
    [key.key, `/v1/api-keys/${key.id}`],
    [access, `/v1/oauth-clients/${client.client_id}`],
  ];
}

describe("revocation reaches live sessions", () => {
  it("ends MQTT sessions on both paths when their credential is revoked (v5 DISCONNECT 0x87, 3.1.1 close)", async () => {
    for (const [path, version] of [["fast", 5], ["relay", 5], ["fast", 4], ["relay", 4]] as const) {
      const id = `rv-mqtt-${path}-${version}`;
      const token = await createDevice(id);
      const c = await RawMqtt.open(path === "fast" ? `/mqtt/${id}` : "/mqtt", version);
      expect((await c.connect(id, token)).reasonCode).toBe(0);
      await apiJson("DELETE", `/v1/devices/${id}/credentials/${await credentialOf(id)}`, 200);
      // "Within about a second": the waits below give it three before they fail.
      if (version === 5) expect((await c.next("disconnect", 3_000)).reasonCode).toBe(0x87);
      await c.whenClosed(3_000);
      // And the token no longer opens a session.
      const again = await RawMqtt.open("/mqtt", version);
      expect((await again.connect(id, token)).reasonCode).toBe(version === 5 ? 0x86 : 0x05);
    }
  });

  it("ends a JSON session with error credential_revoked then close 4401", async () => {
    const token = await createDevice("rv-json");
    const s = await JsonSocket.open(token);
    await apiJson("DELETE", `/v1/devices/rv-json/credentials/${await credentialOf("rv-json")}`, 200);
    const m = await s.next((x) => x.type === "error");
    expect(m).toMatchObject({ code: "credential_revoked" });
    await s.waitClosed();
    expect(s.closed?.code).toBe(4401);
  });

  it("ends sessions opened with a rotated token when its grace period runs out", async () => {
    const token = await createDevice("rv-rotate");
    const cred = await credentialOf("rv-rotate");
    const c = await RawMqtt.open("/mqtt", 5);
    expect((await c.connect("rv-rotate", token)).reasonCode).toBe(0);
    const rotated = await apiJson<{ credential: { token: string } }>("POST", `/v1/devices/rv-rotate/credentials/${cred}/rotate`, 201, { body: { grace_seconds: 2 } });
    const started = Date.now();
    expect((await c.next("disconnect", 6_000)).reasonCode).toBe(0x87);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_000);
    // The new token works.
    const fresh = await RawMqtt.open("/mqtt", 5);
    expect((await fresh.connect("rv-rotate", rotated.credential.token)).reasonCode).toBe(0);
    fresh.close();
  });

  it("ends every session of a device that is disabled (MQTT 0x98, JSON device_disabled + 4403)", async () => {
    const token = await createDevice("rv-disabled");
    const c = await RawMqtt.open("/mqtt/rv-disabled", 5);
    expect((await c.connect("rv-disabled", token)).reasonCode).toBe(0);
    await apiJson("PATCH", "/v1/devices/rv-disabled", 200, { body: { enabled: false } });
    expect((await c.next("disconnect", 3_000)).reasonCode).toBe(0x98);
    await apiJson("PATCH", "/v1/devices/rv-disabled", 200, { body: { enabled: true } });
    const s = await JsonSocket.open(token);
    await apiJson("PATCH", "/v1/devices/rv-disabled", 200, { body: { enabled: false } });
    expect(await s.next((x) => x.type === "error")).toMatchObject({ code: "device_disabled" });
    await s.waitClosed();
    expect(s.closed?.code).toBe(4403);
  });

  it("ends every session and live stream of a device that is deleted (JSON device_deleted + 4404, MQTT 0x98; streams see the disconnect, then end)", async () => {
    const token = await createDevice("rv-deleted");
    const s = await JsonSocket.open(token);
    const stream = new WebSocket(`${hubUrl().replace("http", "ws")}/v1/devices/rv-deleted/events`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const seen: string[] = [];
    stream.on("message", (d) => seen.push((JSON.parse(String(d)) as { type: string }).type));
    await new Promise((r, j) => (stream.once("open", r), stream.once("error", j)));
    const sse = await fetch(`${hubUrl()}/v1/devices/rv-deleted/events`, { headers: { authorization: `Bearer ${adminToken()}`, accept: "text/event-stream" } });
    const sseText = sse.text(); // resolves only when the response ends
    expect((await api("DELETE", "/v1/devices/rv-deleted")).status).toBe(204);
    expect(await s.next((x) => x.type === "error")).toMatchObject({ code: "device_deleted" });
    await s.waitClosed();
    expect(s.closed?.code).toBe(4404);
    // The close frame's code (workerd may hold the TCP connection a while after it: closeFrameCode).
    expect(await eventually(async () => closeFrameCode(stream))).toBe(4404);
    expect(seen).toContain("presence.disconnected");
    expect(await sseText).toContain("event: presence.disconnected");

    const t2 = await createDevice("rv-deleted-mqtt");
    const c = await RawMqtt.open("/mqtt/rv-deleted-mqtt", 5);
    expect((await c.connect("rv-deleted-mqtt", t2)).reasonCode).toBe(0);
    expect((await api("DELETE", "/v1/devices/rv-deleted-mqtt")).status).toBe(204);
    expect((await c.next("disconnect", 3_000)).reasonCode).toBe(0x98);
    await c.whenClosed(3_000);
  });

  it("ends the live streams (WebSocket and SSE) an API key or OAuth client opened when it is revoked: nothing more reaches them", async () => {
    const token = await createDevice("rv-stream");
    for (const [credential, revoke] of await appCredentials("rv-stream")) {
      const stream = new WebSocket(`${hubUrl().replace("http", "ws")}/v1/devices/rv-stream/events`, { headers: { authorization: `Bearer ${credential}` } });
      const seen: string[] = [];
      stream.on("message", (d) => seen.push((JSON.parse(String(d)) as { type: string }).type));
      await new Promise((r, j) => (stream.once("open", r), stream.once("error", j)));
      const sse = await fetch(`${hubUrl()}/v1/devices/rv-stream/events`, { headers: { authorization: `Bearer ${credential}`, accept: "text/event-stream" } });
      expect(sse.status).toBe(200);
      const sseText = sse.text(); // resolves when the response ends
      await apiJson("POST", "/v1/devices/rv-stream/telemetry", 202, { token, body: { data: { n: 1 } } });
      await eventually(async () => seen.includes("telemetry"));
      expect((await api("DELETE", revoke)).status).toBeLessThan(300);
      // Before: both kept delivering the device's data for as long as they stayed open.
      expect(await eventually(async () => closeFrameCode(stream))).toBe(4401);
      await sseText;
      const before = seen.length;
      await apiJson("POST", "/v1/devices/rv-stream/telemetry", 202, { token, body: { data: { n: 2 } } });
      await new Promise((r) => setTimeout(r, 300));
      expect(seen.length).toBe(before);
    }
  });

  it("ends an app's MQTT session when its API key or OAuth client is revoked, and it receives nothing more", async () => {
    for (const [password, revoke] of await appCredentials("rv-app")) {
      const app = await RawMqtt.open("/mqtt", 5);
      expect((await app.connect("dashboard", password, { username: "app" })).reasonCode).toBe(0);
      app.send({ type: "subscribe", packetId: 1, subscriptions: [{ filter: "devices/+/telemetry/#", qos: 1, noLocal: false, retainAsPublished: false, retainHandling: 0 }] });
      await app.next("suback");
      const r = await api("DELETE", revoke);
      expect(r.status).toBeLessThan(300);
      expect((await app.next("disconnect", 3_000)).reasonCode).toBe(0x87);
      await app.whenClosed(3_000);
      const again = await RawMqtt.open("/mqtt", 5);
      expect((await again.connect("dashboard", password, { username: "app" })).reasonCode).toBe(0x86);
    }
  });
});
