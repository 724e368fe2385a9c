/**
 * Limits under load, on a hub of their own with small limits: a device over its message rate
 * is slowed (MQTT acknowledgements wait; JSON gets `busy`), cut off only when it keeps sending
 * past ten times its rate in refused messages, nothing acknowledged is lost, other clients and
 * /health keep answering; a v5 client past our Receive Maximum gets
 * 0x93; an OAuth access token that expires ends its app session.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { applyMigrations, freePort, startWrangler } from "../../scripts/hub.mjs";
import { apiJson, createDevice, eventually } from "./client";
import { JsonSocket } from "./json-socket";
import { RawMqtt } from "./raw-mqtt";
import WebSocket from "ws";
import { App } from "../../sdk/node";
import { CoapWsClient, Opts, codeText, optionUint } from "../clients/coap-ws-client";

const ADMIN = "limits-admin-limits-admin-limits-admin";
let dir = "";
let hub: Awaited<ReturnType<typeof startWrangler>>;
const base = () => hub.url;
const get = <T>(path: string) => apiJson<T>("GET", path, 200, { base: base(), token: ADMIN });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "umbra-limits-"));
  const envFile = join(dir, "vars.env");
  writeFileSync(envFile, `ADMIN_TOKEN="${ADMIN}"\nJWT_SECRET="limits-jwt-secret-limits-jwt-secret"\n`);
  const persistTo = join(dir, "state");
  applyMigrations(persistTo);
  hub = await startWrangler({ port: await freePort(), persistTo, envFile, vars: { DEVICE_RATE_PER_SECOND: "50", DEVICE_RATE_BURST: "50", OAUTH_TOKEN_TTL: "3", COMMANDS_MAX_QUEUED: "3", MQTT_MAX_PACKET_BYTES: "600000" } });
}, 120_000);

afterAll(async () => {
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a device over its rate", () => {
  it("JSON: refuses the excess with busy and retryAfterMs, stores exactly what it acknowledged", async () => {
    const token = await createDevice("lim-json", base(), ADMIN);
    const s = await JsonSocket.open(token, { base: base() });
    for (let i = 0; i < 200; i++) s.send({ type: "telemetry", id: i, data: { n: i } });
    const answers: Record<string, unknown>[] = [];
    while (answers.length < 200) answers.push(await s.next((m) => m.type === "ack" || (m.type === "error" && m.code === "busy")));
    const acked = answers.filter((a) => a.type === "ack");
    const busy = answers.filter((a) => a.type === "error");
    expect(acked.length).toBeGreaterThanOrEqual(50);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy[0]).toMatchObject({ code: "busy", retryAfterMs: expect.any(Number) });
    const rows = await get<{ items: { data: { n: number } }[] }>("/v1/devices/lim-json/telemetry?limit=1000");
    expect(rows.items.map((r) => r.data.n).sort((a, b) => a - b)).toEqual(acked.map((a) => a.id).sort((a, b) => Number(a) - Number(b)));
    await s.close();
  });

  it("CoAP: answers the excess 4.29 with Max-Age, stores exactly what it answered 2.04 (the rate was not applied at all)", async () => {
    const token = await createDevice("lim-coap", base(), ADMIN);
    const c = await CoapWsClient.connect(`${base().replace(/^http/, "ws")}/.well-known/coap`);
    expect(codeText((await c.request({ method: "GET", path: "shadow/none", query: [`auth=${token}`] })).code)).toBe("4.04");
    const answers = await Promise.all(Array.from({ length: 120 }, (_, n) => c.request({ method: "POST", path: "telemetry", contentFormat: 50, payload: JSON.stringify({ data: { n } }) })));
    const codes = answers.map((a) => codeText(a.code));
    const ok = codes.filter((x) => x === "2.04").length;
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(120);
    expect(codes.every((x) => x === "2.04" || x === "4.29")).toBe(true);
    for (const a of answers) if (codeText(a.code) === "4.29") expect(optionUint(a, Opts.MAX_AGE)).toBeGreaterThanOrEqual(1);
    const stored = await get<{ items: unknown[] }>("/v1/devices/lim-coap/telemetry?limit=1000");
    expect(stored.items.length).toBe(ok);
    await c.close();
  });

  it("MQTT: holds PUBACKs to the rate instead of refusing; nothing is lost; others and /health stay responsive", async () => {
    const token = await createDevice("lim-mqtt", base(), ADMIN);
    const other = await createDevice("lim-other", base(), ADMIN);
    const c = await RawMqtt.open("/mqtt/lim-mqtt", 4, base());
    expect((await c.connect("lim-mqtt", token)).reasonCode).toBe(0);
    const started = Date.now();
    for (let i = 1; i <= 150; i++) {
      c.send({ type: "publish", topic: "devices/lim-mqtt/telemetry", payload: new TextEncoder().encode(JSON.stringify({ i })), qos: 1, retain: false, dup: false, packetId: i });
    }
    // Meanwhile another device and /health are served at once.
    const o = await RawMqtt.open("/mqtt/lim-other", 4, base());
    expect((await o.connect("lim-other", other)).reasonCode).toBe(0);
    o.send({ type: "publish", topic: "devices/lim-other/telemetry", payload: new TextEncoder().encode('{"x":1}'), qos: 1, retain: false, dup: false, packetId: 1 });
    await o.next("puback", 5_000);
    expect((await fetch(`${base()}/health`)).status).toBe(200);
    for (let i = 1; i <= 150; i++) await c.next("puback", 10_000);
    // 150 messages at 50/s with a burst of 50 take about 2 s: slowed, not refused.
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_500);
    expect(c.closed).toBeNull();
    const rows = await get<{ items: unknown[] }>("/v1/devices/lim-mqtt/telemetry?limit=1000");
    expect(rows.items).toHaveLength(150);
    c.close();
    o.close();
  });

  it("MQTT 5: a client past our Receive Maximum (100) gets DISCONNECT 0x93", async () => {
    const token = await createDevice("lim-rm", base(), ADMIN);
    const c = await RawMqtt.open("/mqtt/lim-rm", 5, base());
    const ack = await c.connect("lim-rm", token);
    expect(ack.properties?.receiveMaximum).toBe(100);
    for (let i = 1; i <= 200; i++) {
      c.send({ type: "publish", topic: "devices/lim-rm/telemetry", payload: new TextEncoder().encode('{"x":1}'), qos: 1, retain: false, dup: false, packetId: i });
    }
    expect((await c.next("disconnect", 10_000)).reasonCode).toBe(0x93);
  });
});

describe("a device that keeps sending past its refusals (ten times its rate and burst)", () => {
  // Such a socket never runs dry, and locally the runtime reads no other socket while one has a
  // message waiting: before, one device sending without pause stalled the whole hub.
  it("JSON: gets rate_exceeded and close 4429; what it was acknowledged is stored", async () => {
    const token = await createDevice("flood-json", base(), ADMIN);
    const s = await JsonSocket.open(token, { base: base() });
    for (let i = 0; i < 3_000; i++) s.send({ type: "telemetry", id: i, data: { n: i } });
    await s.waitClosed(30_000);
    expect(s.closed?.code).toBe(4429);
    expect(s.received.filter((m) => m.type === "error" && m.code === "rate_exceeded")).toHaveLength(1);
    const acked = s.received.filter((m) => m.type === "ack").map((m) => Number(m.id));
    // The burst (50), what the rate gave back meanwhile, and no more.
    expect(acked.length).toBeGreaterThanOrEqual(50);
    expect(acked.length).toBeLessThan(600);
    const rows = await get<{ items: { data: { n: number } }[] }>("/v1/devices/flood-json/telemetry?limit=1000");
    expect(rows.items.map((r) => r.data.n).sort((a, b) => a - b)).toEqual(acked.sort((a, b) => a - b));
  });

  it.each([
    { path: "/mqtt/flood-mqtt5", version: 5 as const, id: "flood-mqtt5" },
    { path: "/mqtt", version: 4 as const, id: "flood-mqtt4" },
    { path: "/mqtt/flood-mqtt4d", version: 4 as const, id: "flood-mqtt4d" },
    { path: "/mqtt", version: 5 as const, id: "flood-mqtt5r" },
  ])("MQTT $version on $path: QoS 0 past the refusals ends the connection (5.0: DISCONNECT 0x96)", async ({ path, version, id }) => {
    const token = await createDevice(id, base(), ADMIN);
    const c = await RawMqtt.open(path, version, base());
    expect((await c.connect(id, token)).reasonCode).toBe(0);
    const payload = new TextEncoder().encode('{"x":1}');
    for (let i = 0; i < 3_000; i++) c.send({ type: "publish", topic: `devices/${id}/telemetry`, payload, qos: 0, retain: false, dup: false });
    if (version === 5) expect((await c.next("disconnect", 30_000)).reasonCode).toBe(0x96);
    expect((await c.whenClosed(30_000)).code).toBe(1008);
  });
});

describe("a full command queue", () => {
  it("answers 429 with Retry-After once COMMANDS_MAX_QUEUED commands wait", async () => {
    await createDevice("lim-cmd", base(), ADMIN);
    for (let i = 0; i < 3; i++) await apiJson("POST", "/v1/devices/lim-cmd/commands", 201, { base: base(), token: ADMIN, body: { name: `c${i}` } });
    const r = await fetch(`${base()}/v1/devices/lim-cmd/commands`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: '{"name":"c3"}' });
    expect(r.status).toBe(429);
    expect(r.headers.get("retry-after")).toBeTruthy();
  });

  it("MQTT QoS 2: a command for a full queue waits for room (no PUBREC meanwhile, the connection stays up) and is queued once, however often the client resends it", async () => {
    await createDevice("lim-q2", base(), ADMIN);
    for (let i = 0; i < 3; i++) await apiJson("POST", "/v1/devices/lim-q2/commands", 201, { base: base(), token: ADMIN, body: { name: `old${i}`, ttlSeconds: 2 } });
    const key = (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { base: base(), token: ADMIN, body: { name: "lim-q2", scopes: ["commands:write"] } })).key;
    const login = { clean: false, username: "app", password: new TextEncoder().encode(key) };
    const publish = (dup: boolean) => ({ type: "publish", topic: "devices/lim-q2/commands/reboot", payload: new TextEncoder().encode('{"n":1}'), qos: 2, retain: false, dup, packetId: 7 }) as const;
    const first = await RawMqtt.open("/mqtt", 4, base());
    expect((await first.connect("lim-q2-app", null, login)).reasonCode).toBe(0);
    // The queue is full: the PUBREC waits for room (README: not acknowledged until there is room).
    first.send(publish(false));
    await new Promise((r) => setTimeout(r, 500));
    expect(first.packets.filter((p) => p.type === "pubrec")).toEqual([]);
    // The queued commands expire: room, and the PUBREC comes on the same connection.
    expect(await first.next("pubrec", 15_000)).toMatchObject({ packetId: 7 });
    expect((await get<{ items: { status: string; name: string }[] }>("/v1/devices/lim-q2/commands")).items.filter((c) => c.name.startsWith("old")).every((c) => c.status === "expired")).toBe(true);
    first.close();
    // Resent after a reconnect (session present, PUBREL not sent yet): taken once, not queued again.
    const again = await RawMqtt.open("/mqtt", 4, base());
    expect(await again.connect("lim-q2-app", null, login)).toMatchObject({ sessionPresent: true, reasonCode: 0 });
    again.send(publish(true));
    expect(await again.next("pubrec")).toMatchObject({ packetId: 7 });
    again.send({ type: "pubrel", packetId: 7 });
    expect(await again.next("pubcomp")).toMatchObject({ packetId: 7 });
    const list = await get<{ items: { name: string; status: string }[] }>("/v1/devices/lim-q2/commands");
    expect(list.items.filter((c) => c.name === "reboot")).toEqual([expect.objectContaining({ status: "queued" })]);
    again.close();
  });
});

describe("MQTT_MAX_PACKET_BYTES above the codec's 256 KiB default", () => {
  it("takes a packet up to the Maximum Packet Size CONNACK announces, and refuses one byte more (0x95), on both paths", async () => {
    const token = await createDevice("big-packets", base(), ADMIN);
    for (const path of ["/mqtt/big-packets", "/mqtt"]) {
      const c = await RawMqtt.open(path, 5, base());
      const ack = await c.connect("big-packets", token);
      expect(ack.properties?.maximumPacketSize).toBe(600_000);
      const publish = (size: number, packetId: number) => {
        const topic = "devices/big-packets/telemetry";
        const head = c.bytes({ type: "publish", topic, payload: new Uint8Array(), qos: 1, retain: false, dup: false, packetId }).length;
        // {"s":"xxx…"}: the whole packet `size` bytes (the remaining length takes 3 bytes at this size, 1 when empty)
        const payload = new TextEncoder().encode(`{"s":"${"x".repeat(size - head - 2 - 8)}"}`);
        const bytes = c.bytes({ type: "publish", topic, payload, qos: 1, retain: false, dup: false, packetId });
        expect(bytes.length).toBe(size);
        c.send(bytes);
      };
      // Before: the edge took it, and the object's codec refused anything over 262,144 bytes with 0x95.
      publish(600_000, 1);
      expect(await c.next("puback")).toMatchObject({ packetId: 1, reasonCode: 0 });
      publish(600_001, 2);
      expect((await c.next("disconnect")).reasonCode).toBe(0x95);
      await c.whenClosed();
    }
    const rows = await get<{ items: { data: { s: string } }[] }>("/v1/devices/big-packets/telemetry?limit=10");
    expect(rows.items.map((r) => r.data.s.length)).toEqual([599_954, 599_954]);
  });

  it("takes a CONNECT over 256 KiB (a big will) under that Maximum Packet Size", async () => {
    const token = await createDevice("big-connect", base(), ADMIN);
    const c = await RawMqtt.open("/mqtt/big-connect", 5, base());
    // A will payload holds at most 65,535 bytes (a 2-byte length); its user properties make the packet big.
    const userProperties = Array.from({ length: 5 }, (_, i): [string, string] => [`p${i}`, "w".repeat(60_000)]);
    const will = { topic: "devices/big-connect/telemetry", payload: new TextEncoder().encode('{"last":1}'), qos: 1 as const, retain: false, properties: { userProperties } };
    // Before: the edge read CONNECT with the codec's 256 KiB default and closed the socket (1002), no CONNACK.
    expect((await c.connect("big-connect", token, { will })).reasonCode).toBe(0);
    c.close();
  });
});

describe("OAuth token endpoint under wrong secrets", () => {
  it("wrong secrets sent for a client id from elsewhere do not lock the client out", async () => {
    // Found by an outside security run: the client id's bucket was spent before the secret was
    // checked, so anyone who knew an id (every token's sub) kept its client at 429.
    const client = await apiJson<{ client_id: string; client_secret: string }>("POST", "/v1/oauth-clients", 201, { base: base(), token: ADMIN, body: { name: "target", scopes: ["devices:read"] } });
    const token = (secret: string, address: string) =>
      fetch(`${base()}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "cf-connecting-ip": address },
        body: `grant_type=client_credentials&client_id=${client.client_id}&client_secret=${secret}`,
      });
    for (let i = 0; i < 12; i++) await token(`wrong-${i}`, `203.0.113.${i + 1}`);
    const real = await token(client.client_secret, "198.51.100.9");
    expect(real.status).toBe(200);
    expect(await real.json()).toMatchObject({ token_type: "Bearer" });
  });
});

describe("credential expiry", () => {
  it("ends an app session when its OAuth access token expires (v5 DISCONNECT 0x87)", async () => {
    const client = await apiJson<{ client_id: string; client_secret: string }>("POST", "/v1/oauth-clients", 201, { base: base(), token: ADMIN, body: { name: "short", scopes: ["devices:read"] } });
    const res = await fetch(`${base()}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` },
      body: "grant_type=client_credentials",
    });
    const { access_token, expires_in } = (await res.json()) as { access_token: string; expires_in: number };
    expect(expires_in).toBe(3);
    const app = await RawMqtt.open("/mqtt", 5, base());
    expect((await app.connect("short-lived", access_token, { username: "app" })).reasonCode).toBe(0);
    expect((await app.next("disconnect", 6_000)).reasonCode).toBe(0x87);
  });

  /** A new OAuth client with devices:read, and a function that fetches its next access token. */
  async function oauthClient(name: string) {
    const client = await apiJson<{ client_id: string; client_secret: string }>("POST", "/v1/oauth-clients", 201, { base: base(), token: ADMIN, body: { name, scopes: ["devices:read"] } });
    const token = async () => {
      const res = await fetch(`${base()}/oauth/token`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` },
        body: "grant_type=client_credentials",
      });
      return ((await res.json()) as { access_token: string }).access_token;
    };
    return { ...client, token };
  }
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const telemetry = (id: string, n: number) => apiJson("POST", `/v1/devices/${id}/telemetry`, 202, { base: base(), token: ADMIN, body: { data: { n } } });

  it("keeps a live stream open past its token's expiry while its OAuth client renews, and ends it (4401) when it does not", async () => {
    await createDevice("exp-stream", base(), ADMIN);
    const open = async (token: string) => {
      const ws = new WebSocket(`${base().replace(/^http/, "ws")}/v1/devices/exp-stream/events`, { headers: { authorization: `Bearer ${token}` } });
      const got: number[] = [];
      const closed = new Promise<number>((resolve) => ws.on("close", (code) => resolve(code)));
      ws.on("message", (m) => {
        const e = JSON.parse(String(m)) as { type: string; data: { data: { n: number } } };
        if (e.type === "telemetry") got.push(e.data.data.n);
      });
      await new Promise((resolve, reject) => (ws.once("open", resolve), ws.once("error", reject)));
      return { ws, got, closed };
    };
    const renewing = await oauthClient("renewing");
    const idle = await oauthClient("idle");
    const kept = await open(await renewing.token());
    const ended = await open(await idle.token());
    await telemetry("exp-stream", 1);
    await sleep(1_000);
    await renewing.token(); // before the first token (3 s) expires, as the SDK and the console do
    await sleep(2_500);
    await telemetry("exp-stream", 2);
    // Before: the hub closed every stream with 4401 at the first event after its token's expiry.
    expect(await ended.closed).toBe(4401);
    await eventually(async () => kept.got.length === 2);
    expect([kept.got, ended.got]).toEqual([[1, 2], [1]]);
    kept.ws.close();
  });

  it("an SDK app on an OAuth client keeps its event stream across token expiries without reopening it", async () => {
    await createDevice("exp-sdk", base(), ADMIN);
    const { client_id, client_secret } = await oauthClient("sdk");
    const app = new App({ url: base(), clientId: client_id, clientSecret: client_secret });
    let opened = 0;
    const stream = app.events("exp-sdk", { transport: "websocket", onOpen: () => opened++ });
    const got: number[] = [];
    const reading = (async () => {
      for await (const e of stream) {
        if (e.type === "telemetry") got.push((e.data as { data: { n: number } }).data.n);
        if (got.length === 3) return;
      }
    })();
    await eventually(async () => opened === 1);
    for (const n of [1, 2, 3]) {
      await telemetry("exp-sdk", n);
      await sleep(3_500); // each wait outlasts a token (3 s)
    }
    await reading;
    expect([got, opened]).toEqual([[1, 2, 3], 1]);
    stream.close();
  });
});
