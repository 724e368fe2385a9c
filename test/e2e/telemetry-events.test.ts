/** Telemetry over HTTP and the socket, live events over SSE and WebSocket, presence. */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { adminToken, api, apiJson, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";

interface Sample {
  ts: number;
  data: Record<string, unknown>;
}

/** Reads an SSE response, collecting parsed events until `until` is satisfied. */
async function sseUntil(res: Response, until: (events: { type: string; data: unknown }[]) => boolean, ms = 10_000) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const events: { type: string; deviceId: string; data: unknown }[] = [];
  let buf = "";
  const deadline = Date.now() + ms;
  while (!until(events)) {
    if (Date.now() > deadline) throw new Error(`SSE: only got ${JSON.stringify(events)}`);
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const data = block.split("\n").find((l) => l.startsWith("data: "));
      if (data) events.push(JSON.parse(data.slice(6)));
    }
  }
  await reader.cancel();
  return events;
}

describe("telemetry", () => {
  it("stores samples from HTTP and the socket, and reads them back by time range and cursor", async () => {
    const token = await createDevice("tm-1");
    // Recent times: retention drops samples older than TELEMETRY_MAX_AGE_DAYS.
    const t0 = Date.now() - 60_000;
    await apiJson("POST", "/v1/devices/tm-1/telemetry", 202, { token, body: { data: { temp: 20.5 }, ts: t0 + 1_000 } });
    await apiJson("POST", "/v1/devices/tm-1/telemetry", 202, { token, body: [{ data: { temp: 21 }, ts: t0 + 2_000 }, { data: { temp: 22, hum: 40 }, ts: t0 + 3_000 }] });
    const dev = await JsonSocket.open(token);
    dev.send({ type: "telemetry", data: { temp: 23 }, ts: t0 + 4_000 });
    dev.send({ type: "ping" });
    await dev.next((m) => m.type === "pong");
    await dev.close();

    const all = await apiJson<{ items: Sample[] }>("GET", "/v1/devices/tm-1/telemetry", 200);
    expect(all.items.map((s) => s.ts)).toEqual([t0 + 1_000, t0 + 2_000, t0 + 3_000, t0 + 4_000]);
    const range = await apiJson<{ items: Sample[] }>("GET", `/v1/devices/tm-1/telemetry?from=${t0 + 2000}&to=${new Date(t0 + 4000).toISOString()}`, 200);
    expect(range.items.map((s) => s.data.temp)).toEqual([21, 22]);
    const page1 = await apiJson<{ items: Sample[]; next_cursor: string }>("GET", "/v1/devices/tm-1/telemetry?limit=3", 200);
    const page2 = await apiJson<{ items: Sample[]; next_cursor: null }>("GET", `/v1/devices/tm-1/telemetry?limit=3&cursor=${page1.next_cursor}`, 200);
    expect(page2.items.map((s) => s.ts)).toEqual([t0 + 4_000]);
    expect(page2.next_cursor).toBeNull();
    const latest = await apiJson<Record<string, { ts: number; value: unknown }>>("GET", "/v1/devices/tm-1/telemetry/latest", 200);
    expect(latest).toEqual({ temp: { ts: t0 + 4_000, value: 23 }, hum: { ts: t0 + 3_000, value: 40 } });
  });

  it("pages large samples in pages that fit an RPC (32 MiB): a page may stop short of `limit`, none is a 500, and the cursor walks all", async () => {
    await createDevice("tm-big");
    const t0 = Date.now() - 600_000;
    const blob = "x".repeat(100_000);
    const total = 360; // ~36 MB: before, ?limit=400 answered 500 (the object's answer exceeded 32 MiB)
    for (let i = 0; i < total; i += 8) {
      const batch = Array.from({ length: Math.min(8, total - i) }, (_, j) => ({ ts: t0 + i + j, data: { n: i + j, blob } }));
      await apiJson("POST", "/v1/devices/tm-big/telemetry", 202, { body: batch });
    }
    const seen: number[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { items: Sample[]; next_cursor: string | null } = await apiJson("GET", `/v1/devices/tm-big/telemetry?limit=400${cursor ? `&cursor=${cursor}` : ""}`, 200);
      seen.push(...page.items.map((s) => s.data.n as number));
      cursor = page.next_cursor;
      pages++;
    } while (cursor);
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(pages).toBeGreaterThan(1);
    expect((await api("DELETE", "/v1/devices/tm-big")).status).toBe(204);
  }, 120_000);

  it("refuses bad telemetry with problem+json", async () => {
    const token = await createDevice("tm-bad");
    expect((await api("POST", "/v1/devices/tm-bad/telemetry", { token, body: { data: {} } })).status).toBe(400);
    expect((await api("POST", "/v1/devices/tm-bad/telemetry", { token, body: { temp: 1 } })).status).toBe(400);
    expect((await api("POST", "/v1/devices/tm-bad/telemetry", { token, body: "{x", headers: { "content-type": "application/json" } })).status).toBe(400);
    expect((await api("POST", "/v1/devices/tm-bad/telemetry", { token, body: "21", headers: { "content-type": "text/plain" } })).status).toBe(415);
  });
});

describe("live events", () => {
  it("an SSE client sees presence, shadow and telemetry events", async () => {
    const token = await createDevice("ev-sse");
    const res = await fetch(`${hubUrl()}/v1/devices/ev-sse/events`, { headers: { authorization: `Bearer ${adminToken()}`, accept: "text/event-stream" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/event-stream");
    const collecting = sseUntil(res, (ev) => ["presence.connected", "shadow.delta", "telemetry", "presence.disconnected"].every((t) => ev.some((e) => e.type === t)));
    await new Promise((r) => setTimeout(r, 200));
    const dev = await JsonSocket.open(token);
    await apiJson("POST", "/v1/devices/ev-sse/shadow", 200, { body: { state: { desired: { on: true } } } });
    dev.send({ type: "telemetry", data: { volts: 3.3 } });
    await dev.next((m) => m.type === "shadow.delta");
    await dev.close();
    const events = await collecting;
    for (const e of events) expect(e.deviceId).toBe("ev-sse");
    expect(events.find((e) => e.type === "telemetry")?.data).toMatchObject({ data: { volts: 3.3 } });
    expect(events.find((e) => e.type === "shadow.delta")?.data).toMatchObject({ shadow: "", state: { on: true } });
  });

  it("a WebSocket stream sees the same events; presence shows in the device", async () => {
    const token = await createDevice("ev-ws");
    const stream = new WebSocket(`${hubUrl().replace("http", "ws")}/v1/devices/ev-ws/events`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const got: { type: string; ts: number }[] = [];
    stream.on("message", (d) => got.push(JSON.parse(String(d))));
    await new Promise((r, j) => {
      stream.once("open", r);
      stream.once("error", j);
    });
    const dev = await JsonSocket.open(token);
    const status = await apiJson<{ status: { connected: boolean; protocol: string; last_seen: string } }>("GET", "/v1/devices/ev-ws", 200);
    expect(status.status).toMatchObject({ connected: true, protocol: "json" });
    dev.send({ type: "telemetry", data: { n: 1 } });
    await eventually(async () => got.some((e) => e.type === "telemetry"));
    await dev.close();
    await eventually(async () => got.some((e) => e.type === "presence.disconnected"));
    const after = await apiJson<{ status: { connected: boolean; disconnected_at: string } }>("GET", "/v1/devices/ev-ws", 200);
    expect(after.status.connected).toBe(false);
    expect(after.status.disconnected_at).toBeTruthy();
    expect(got[0]?.type).toBe("presence.connected");
    stream.close();
  });

  it("an app key without shadows:read gets no shadow events (GET …/shadow refuses it too); one with it does", async () => {
    const token = await createDevice("ev-scope");
    const key = async (scopes: string[]) => (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "ev", scopes } })).key;
    const reader = await key(["devices:read"]);
    const shadowReader = await key(["devices:read", "shadows:read"]);
    expect((await api("GET", "/v1/devices/ev-scope/shadow", { token: reader })).status).toBe(403);
    const open = (k: string) => fetch(`${hubUrl()}/v1/devices/ev-scope/events`, { headers: { authorization: `Bearer ${k}`, accept: "text/event-stream" } });
    const ws = new WebSocket(`${hubUrl().replace("http", "ws")}/v1/devices/ev-scope/events`, { headers: { authorization: `Bearer ${reader}` } });
    const viaWs: { type: string }[] = [];
    ws.on("message", (d) => viaWs.push(JSON.parse(String(d))));
    await new Promise((r, j) => {
      ws.once("open", r);
      ws.once("error", j);
    });
    const hidden = sseUntil(await open(reader), (ev) => ev.some((e) => e.type === "telemetry"));
    const shown = sseUntil(await open(shadowReader), (ev) => ev.some((e) => e.type === "telemetry"));
    await new Promise((r) => setTimeout(r, 200));
    // the secret goes into desired first, then telemetry marks the end of what each stream is sent
    await apiJson("POST", "/v1/devices/ev-scope/shadow", 200, { body: { state: { desired: { wifi_password: "hunter2" } } } });
    expect((await api("POST", "/v1/devices/ev-scope/telemetry", { token, body: { data: { n: 1 } } })).status).toBe(202);
    await eventually(async () => viaWs.some((e) => e.type === "telemetry"));
    ws.close();
    for (const events of [await hidden, viaWs]) {
      expect(events.some((e) => e.type === "telemetry")).toBe(true);
      expect(events.filter((e) => e.type.startsWith("shadow.")).map((e) => e.type)).toEqual([]);
      expect(JSON.stringify(events)).not.toContain("hunter2");
    }
    expect((await shown).some((e) => e.type === "shadow.updated")).toBe(true);
  });

  it("refuses an app stream without a credential, and a non-stream request", async () => {
    await createDevice("ev-auth");
    expect((await api("GET", "/v1/devices/ev-auth/events", { token: null, headers: { accept: "text/event-stream" } })).status).toBe(401);
    expect((await api("GET", "/v1/devices/ev-auth/events")).status).toBe(406);
  });
});

describe("device connect", () => {
  it("refuses bad and app credentials on /v1/connect", async () => {
    const url = `${hubUrl().replace("http", "ws")}/v1/connect`;
    const status = (ws: WebSocket) =>
      new Promise<number>((resolve) => {
        ws.once("unexpected-response", (_q, r) => resolve(r.statusCode ?? 0));
        ws.once("open", () => resolve(101));
        ws.once("error", () => resolve(-1));
      });
    expect(await status(new WebSocket(url))).toBe(401);
    expect(await status(new WebSocket(url, { headers: { authorization: "Bearer nope" } }))).toBe(401);
    expect(await status(new WebSocket(url, { headers: { authorization: `Bearer ${adminToken()}` } }))).toBe(401);
    expect(await status(new WebSocket(url, ["umbra.v1", "token.nope"]))).toBe(401);
  });
});
