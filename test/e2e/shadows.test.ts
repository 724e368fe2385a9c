/** Device shadows end to end: REST for apps, the JSON WebSocket for devices, against a real hub. */
import { describe, expect, it } from "vitest";
import { api, apiJson, createDevice } from "./client";
import { JsonSocket } from "./json-socket";

const isDelta = (m: { type: string }) => m.type === "shadow.delta";

describe("shadows over REST and the JSON WebSocket", () => {
  it("pushes the delta after an app sets desired, and clears it when the device reports", async () => {
    const token = await createDevice("sh-lamp");
    const dev = await JsonSocket.open(token);
    await apiJson("POST", "/v1/devices/sh-lamp/shadow", 200, { body: { state: { desired: { color: "red", level: 5 } } } });
    const delta = await dev.next(isDelta);
    expect(delta).toMatchObject({ shadow: "", state: { color: "red", level: 5 }, version: 1 });

    dev.send({ type: "shadow.update", state: { reported: { color: "red", level: 5 } }, clientToken: "c1" });
    const accepted = await dev.next((m) => m.type === "shadow.accepted");
    expect(accepted).toMatchObject({ op: "update", version: 2, clientToken: "c1" });
    const cleared = await dev.next(isDelta);
    expect(cleared.state).toEqual({});

    const doc = await apiJson<{ state: Record<string, unknown>; version: number }>("GET", "/v1/devices/sh-lamp/shadow", 200);
    expect(doc.version).toBe(2);
    expect(doc.state.delta).toBeUndefined();
    await dev.close();
  });

  it("honours HTTP preconditions (RFC 9110 §13): ETag per version and representation, 304, and 412 for a stale If-Match", async () => {
    await createDevice("sh-etag");
    const url = "/v1/devices/sh-etag/shadows/cfg";
    const post = (ifMatch: string, body: unknown = { state: { desired: { n: 1 } } }) => api("POST", url, { body, headers: { "if-match": ifMatch } });
    expect((await api("GET", url)).headers.get("etag")).toBeNull(); // 404: nothing to tag
    expect((await post("*")).status).toBe(412); // If-Match * needs the shadow to exist
    await apiJson("POST", url, 200, { body: { state: { desired: { n: 1 } } } });
    const read = await api("GET", url);
    expect(read.headers.get("etag")).toBe('"1"');
    expect((await api("GET", url, { headers: { "if-none-match": '"1"' } })).status).toBe(304);
    expect((await api("GET", url, { headers: { "if-none-match": 'W/"1", "7"' } })).status).toBe(304);
    const cbor = await api("GET", url, { headers: { accept: "application/cbor", "if-none-match": '"1"' } });
    expect([cbor.status, cbor.headers.get("etag")]).toEqual([200, '"1-cbor"']);

    for (const stale of ['"0"', 'W/"1"', '"x"']) expect((await post(stale)).status, stale).toBe(412);
    expect((await apiJson<{ version: number }>("GET", url, 200)).version).toBe(1);
    expect((await post('"7", "1"')).status).toBe(200);
    expect((await post('"2-cbor"')).status).toBe(200);
    expect((await post("*")).status).toBe(200);
    // A version in the body keeps AWS's 409.
    expect((await post("*", { state: { desired: { n: 2 } }, version: 1 })).status).toBe(409);

    expect((await api("POST", url, { body: { state: { desired: { n: 3 } } }, headers: { "if-none-match": "*" } })).status).toBe(412);
    expect((await api("POST", "/v1/devices/sh-etag/shadows/fresh", { body: { state: { desired: { n: 3 } } }, headers: { "if-none-match": "*" } })).status).toBe(200);
    expect((await api("DELETE", url, { headers: { "if-match": '"3"' } })).status).toBe(412);
    expect((await apiJson<{ version: number }>("GET", url, 200)).version).toBe(4);
    expect((await api("DELETE", url, { headers: { "if-match": '"4"' } })).status).toBe(200);
    expect((await api("GET", url)).status).toBe(404);
  });

  it("lets exactly one of many racing create-only writers (If-None-Match: *) through", async () => {
    await createDevice("sh-race");
    for (let trial = 0; trial < 10; trial++) {
      const url = `/v1/devices/sh-race/shadows/race${trial}`;
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, writer) => api("POST", url, { body: { state: { desired: { writer } } }, headers: { "if-none-match": "*" } })),
      );
      const won = answers.flatMap((r, writer) => (r.status === 200 ? [writer] : []));
      expect(answers.map((r) => r.status).sort(), `trial ${trial}`).toEqual([200, 412, 412, 412, 412, 412, 412, 412]);
      const doc = await apiJson<{ version: number; state: { desired: { writer: number } } }>("GET", url, 200);
      expect([doc.version, doc.state.desired.writer]).toEqual([1, won[0]]);
    }
    // A deleted shadow is absent again: create-only succeeds and continues its versions.
    await apiJson("DELETE", "/v1/devices/sh-race/shadows/race0", 200);
    expect((await api("POST", "/v1/devices/sh-race/shadows/race0", { body: { state: { desired: { again: true } } }, headers: { "if-none-match": "*" } })).status).toBe(200);
  });

  it("refuses a stale version with 409 over REST and over the socket", async () => {
    const token = await createDevice("sh-ver");
    await apiJson("POST", "/v1/devices/sh-ver/shadow", 200, { body: { state: { desired: { a: 1 } } } });
    const conflict = await apiJson<{ code: number; status: number; message: string }>("POST", "/v1/devices/sh-ver/shadow", 409, {
      body: { state: { desired: { a: 2 } }, version: 7 },
    });
    expect(conflict.code).toBe(409);
    expect(conflict.status).toBe(409);
    const dev = await JsonSocket.open(token);
    dev.send({ type: "shadow.update", state: { reported: { a: 1 } }, version: 99, clientToken: "stale" });
    const rejected = await dev.next((m) => m.type === "shadow.rejected");
    expect(rejected).toMatchObject({ code: 409, clientToken: "stale" });
    await dev.close();
  });

  it("pushes the open delta the moment an offline device connects", async () => {
    const token = await createDevice("sh-offline");
    await apiJson("POST", "/v1/devices/sh-offline/shadow", 200, { body: { state: { desired: { fan: "on" }, reported: { fan: "off" } } } });
    await apiJson("POST", "/v1/devices/sh-offline/shadows/wifi", 200, { body: { state: { desired: { ssid: "home" } } } });
    const dev = await JsonSocket.open(token, { viaProtocol: true });
    expect(dev.ws.protocol).toBe("umbra.v1");
    const first = await dev.next((m) => isDelta(m) && m.shadow === "");
    expect(first.state).toEqual({ fan: "on" });
    const named = await dev.next((m) => isDelta(m) && m.shadow === "wifi");
    expect(named.state).toEqual({ ssid: "home" });
    await dev.close();
  });

  it("keeps a device to its own shadow and telemetry", async () => {
    await createDevice("sh-a");
    const tokenB = await createDevice("sh-b");
    await apiJson("POST", "/v1/devices/sh-a/shadow", 200, { body: { state: { desired: { x: 1 } } } });
    for (const [method, path, body] of [
      ["GET", "/v1/devices/sh-a/shadow", undefined],
      ["POST", "/v1/devices/sh-a/shadow", { state: { reported: { x: 2 } } }],
      ["DELETE", "/v1/devices/sh-a/shadow", undefined],
      ["GET", "/v1/devices/sh-a/shadows/named", undefined],
      ["GET", "/v1/devices/sh-a/telemetry", undefined],
      ["POST", "/v1/devices/sh-a/telemetry", { data: { t: 1 } }],
      ["GET", "/v1/devices/sh-a/events", undefined],
    ] as const) {
      expect((await api(method, path, { token: tokenB, body })).status, `${method} ${path}`).toBe(403);
    }
    expect((await api("GET", "/v1/devices/sh-b/shadow", { token: tokenB })).status).toBe(404);
    const own = await api("POST", "/v1/devices/sh-b/shadow", { token: tokenB, body: { state: { reported: { ok: true } } } });
    expect(own.status).toBe(200);
  });

  it("answers malformed and oversized messages with error and keeps the socket", async () => {
    const token = await createDevice("sh-bad");
    const dev = await JsonSocket.open(token);
    dev.ws.send("{not json");
    expect((await dev.next((m) => m.type === "error")).code).toBe("bad_json");
    dev.send({ type: "launch.rocket" });
    expect((await dev.next((m) => m.type === "error")).code).toBe("unknown_type");
    dev.ws.send(JSON.stringify({ type: "telemetry", data: { blob: "x".repeat(300_000) } }));
    expect((await dev.next((m) => m.type === "error")).code).toBe("too_large");
    dev.send({ type: "ping", id: 7 });
    expect(await dev.next((m) => m.type === "pong")).toEqual({ type: "pong", id: 7 });
    await dev.close();
  });

  it("lets a new connection take over and closes the old one with a reason", async () => {
    const token = await createDevice("sh-takeover");
    const first = await JsonSocket.open(token);
    const second = await JsonSocket.open(token);
    const notice = await first.next((m) => m.type === "error");
    expect(notice).toMatchObject({ code: "session_taken_over" });
    // The server has sent its close frame (4000); workerd may keep TCP open a while after it.
    for (let i = 0; i < 100 && first.ws.readyState === first.ws.OPEN; i++) await new Promise((r) => setTimeout(r, 50));
    expect(first.ws.readyState).not.toBe(first.ws.OPEN);
    second.send({ type: "ping" });
    await second.next((m) => m.type === "pong");
    const status = await apiJson<{ status: { connected: boolean; protocol: string } }>("GET", "/v1/devices/sh-takeover", 200);
    expect(status.status).toMatchObject({ connected: true, protocol: "json" });
    await second.close();
  });

  it("keeps history and answers named shadow listings", async () => {
    await createDevice("sh-hist");
    for (let i = 1; i <= 5; i++) await apiJson("POST", "/v1/devices/sh-hist/shadow", 200, { body: { state: { reported: { n: i } } } });
    await apiJson("POST", "/v1/devices/sh-hist/shadows/extra", 200, { body: { state: { reported: { on: true } } } });
    const hist = await apiJson<{ items: { version: number; state: { reported: { n: number } } }[]; next_cursor: string | null }>(
      "GET",
      "/v1/devices/sh-hist/shadow/history?from_version=2&limit=2",
      200,
    );
    expect(hist.items.map((d) => d.version)).toEqual([2, 3]);
    expect(hist.items[1]?.state.reported.n).toBe(3);
    // The cursor is opaque, as on every list: handing it back continues at version 4.
    const next = await apiJson<{ items: { version: number }[] }>("GET", `/v1/devices/sh-hist/shadow/history?limit=2&cursor=${hist.next_cursor}`, 200);
    expect(next.items.map((d) => d.version)).toEqual([4, 5]);
    const names = await apiJson<{ items: string[] }>("GET", "/v1/devices/sh-hist/shadows", 200);
    expect(names.items).toEqual(["", "extra"]);
  });
});
