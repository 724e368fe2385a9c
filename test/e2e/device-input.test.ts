/**
 * What devices send, checked alike on every path a sample or a shadow request enters (HTTP,
 * the JSON socket, MQTT.js over both MQTT paths, CoAP over WebSockets): `ts` must be epoch
 * milliseconds within retention, and JSON nested past the limit is refused before parsing —
 * each path answering in its own terms, and the connection staying usable.
 */
import { beforeAll, describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { apiJson, createDevice, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";
import { Inbox, connectMqtt } from "./mqtt-client";
import { CoapWsClient, codeText } from "../clients/coap-ws-client";
import { RawMqtt } from "./raw-mqtt";

const day = 86_400_000;
const nested = (levels: number) => `{"a":${"[".repeat(levels - 1)}${"]".repeat(levels - 1)}}`;
const latest = (id: string) => apiJson<Record<string, { ts: number }>>("GET", `/v1/devices/${id}/telemetry/latest`, 200);

let token = "";
beforeAll(async () => {
  token = await createDevice("in-1");
});

describe("telemetry timestamps", () => {
  it("HTTP refuses seconds, microseconds, negatives and samples older than retention, saying epoch milliseconds", async () => {
    const now = Date.now();
    for (const ts of [Math.floor(now / 1000), now * 1000, -1, now + 2 * day]) {
      const r = await apiJson<{ detail: string; reason: string }>("POST", "/v1/devices/in-1/telemetry", 400, { token, body: { data: { t: 1 }, ts } });
      expect(r.detail).toMatch(/epoch milliseconds/);
      expect(r.reason).toBe("out_of_range");
    }
    const old = await apiJson<{ detail: string; reason: string }>("POST", "/v1/devices/in-1/telemetry", 400, { token, body: [{ data: { t: 1 } }, { data: { t: 2 }, ts: now - 31 * day }] });
    expect(old.reason).toBe("too_old");
    expect(old.detail).toMatch(/^1\.ts .*retention of 30 days/);
    const seconds = await apiJson<{ detail: string }>("POST", "/v1/devices/in-1/telemetry", 400, { token, body: { data: { t: 1 }, ts: Math.floor(now / 1000) } });
    expect(seconds.detail).toMatch(/looks like seconds/);
    // None of them was stored.
    expect(await latest("in-1")).toEqual({});
    await apiJson("POST", "/v1/devices/in-1/telemetry", 202, { token, body: { data: { t: 3 }, ts: now - 1000 } });
    expect((await latest("in-1")).t?.ts).toBe(now - 1000);
  });

  it("the telemetry union error says which shapes are expected", async () => {
    const r = await apiJson<{ detail: string; errors: { path: string }[] }>("POST", "/v1/devices/in-1/telemetry", 400, { token, body: { data: 5 } });
    expect(r.detail).toMatch(/expected \{data, ts\?\}.*or an array/);
    expect(r.errors[0]?.path).toBe("data");
  });

  it("the JSON socket answers an error for a bad ts and stays usable", async () => {
    const dev = await JsonSocket.open(await createDevice("in-json"));
    dev.send({ type: "telemetry", data: { t: 1 }, ts: Math.floor(Date.now() / 1000) });
    const err = await dev.next((m) => m.type === "error");
    expect(err.message).toMatch(/epoch milliseconds/);
    dev.send({ type: "telemetry", id: "old-1", data: { t: 2 }, ts: Date.now() - 40 * day });
    // The refusal names the message it refuses, so a device waiting for an ack is not left guessing.
    expect(await dev.next((m) => m.type === "error")).toMatchObject({ id: "old-1", message: expect.stringMatching(/retention/) });
    dev.send({ type: "telemetry", id: 8, data: {} });
    expect(await dev.next((m) => m.type === "error")).toMatchObject({ id: 8, code: "bad_message" });
    dev.send({ type: "ping", id: 7 });
    expect(await dev.next((m) => m.type === "pong")).toMatchObject({ id: 7 });
    expect(await latest("in-json")).toEqual({});
    await dev.close();
  });

  it.each(["/mqtt", "/mqtt/in-mqtt"])("MQTT 5 over %s refuses a bad ts with PUBACK 0x99", async (path) => {
    const id = "in-mqtt";
    const mqttToken = path === "/mqtt" ? await createDevice(id) : (await apiJson<{ token: string }>("POST", `/v1/devices/${id}/credentials`, 201)).token;
    const c = await connectMqtt(path, { clientId: id, password: mqttToken, protocolVersion: 5 });
    const code = (payload: string) =>
      new Promise<number | undefined>((resolve) =>
        c.publish(`devices/${id}/telemetry`, payload, { qos: 1 }, (err, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? (err as { code?: number } | undefined)?.code)),
      );
    expect(await code(JSON.stringify({ data: { t: 1 }, ts: Math.floor(Date.now() / 1000) }))).toBe(0x99);
    expect(await code(JSON.stringify({ data: { t: 1 }, ts: Date.now() - 40 * day }))).toBe(0x99);
    // Success: reason 0, which a v5 PUBACK may leave out.
    expect((await code(JSON.stringify({ data: { t: 1 }, ts: Date.now() }))) ?? 0).toBe(0);
    c.end(true);
  });

  it("CoAP refuses a bad ts with 4.00 and an epoch-milliseconds diagnostic", async () => {
    const coapToken = await createDevice("in-coap");
    const c = await CoapWsClient.connect(`${hubUrl().replace("http", "ws")}/.well-known/coap`);
    const r = await c.request({ method: "POST", path: "telemetry", query: [`auth=${coapToken}`], contentFormat: 50, payload: JSON.stringify({ data: { t: 1 }, ts: 1_700_000_000 }) });
    expect(codeText(r.code)).toBe("4.00");
    expect(new TextDecoder().decode(r.payload)).toMatch(/epoch milliseconds/);
    const ok = await c.request({ method: "POST", path: "telemetry", contentFormat: 50, payload: JSON.stringify({ data: { t: 1 } }) });
    expect(codeText(ok.code)).toBe("2.04");
    await c.close();
  });
});

describe("numbers beyond a double (1e400 parses as Infinity, which JSON cannot hold)", () => {
  it("are refused on every path instead of being acknowledged and stored as null", async () => {
    const id = "in-inf";
    const big = '{"data":{"a":1e400,"b":{"c":[-1e400]}}}';
    const http = await fetch(`${hubUrl()}/v1/devices/${id}/telemetry`, { method: "POST", headers: { authorization: `Bearer ${await createDevice(id)}`, "content-type": "application/json" }, body: big });
    expect(http.status).toBe(400);
    expect(await http.text()).toMatch(/finite/);

    // The text itself: JSON.stringify would send Infinity as null.
    const raw = await JsonSocket.open((await apiJson<{ token: string }>("POST", `/v1/devices/${id}/credentials`, 201)).token);
    raw.ws.send('{"type":"telemetry","id":"big","data":{"a":1e400}}');
    expect(await raw.next((m) => m.type === "error" || m.type === "ack")).toMatchObject({ type: "error", id: "big", code: "bad_message" });
    await raw.close();

    const mqttToken = (await apiJson<{ token: string }>("POST", `/v1/devices/${id}/credentials`, 201)).token;
    const c = await connectMqtt(`/mqtt/${id}`, { clientId: id, password: mqttToken, protocolVersion: 5 });
    const code = (payload: string, topic = `devices/${id}/telemetry`) =>
      new Promise<number | undefined>((resolve) => c.publish(topic, payload, { qos: 1 }, (_err, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode)));
    expect(await code(big)).toBe(0x99);
    expect(await code("1e400", `devices/${id}/telemetry/temp`)).toBe(0x99);
    c.end(true);

    const coapToken = (await apiJson<{ token: string }>("POST", `/v1/devices/${id}/credentials`, 201)).token;
    const coap = await CoapWsClient.connect(`${hubUrl().replace("http", "ws")}/.well-known/coap`);
    const r = await coap.request({ method: "POST", path: "telemetry", query: [`auth=${coapToken}`], contentFormat: 50, payload: big });
    expect(codeText(r.code)).toBe("4.00");
    await coap.close();
    expect(await latest(id)).toEqual({});
  });
});

describe("JSON nesting on the device paths", () => {
  it("the JSON socket refuses 5,000 levels with an error and keeps serving", async () => {
    const dev = await JsonSocket.open(token);
    dev.ws.send(`{"type":"telemetry","data":${nested(5000)}}`);
    expect((await dev.next((m) => m.type === "error")).message).toMatch(/nests deeper than 32/);
    dev.send({ type: "ping", id: 1 });
    expect(await dev.next((m) => m.type === "pong")).toMatchObject({ id: 1 });
    await dev.close();
  });

  it("MQTT: a deep shadow update is rejected on …/rejected, deep telemetry gets 0x99, the session lives on", async () => {
    const id = "in-deep";
    const c: MqttClient = await connectMqtt(`/mqtt/${id}`, { clientId: id, password: await createDevice(id), protocolVersion: 5 });
    const inbox = new Inbox(c);
    await c.subscribeAsync(`$aws/things/${id}/shadow/update/rejected`, { qos: 1 });
    await c.publishAsync(`$aws/things/${id}/shadow/update`, `{"state":{"desired":${nested(5000)}}}`, { qos: 1 });
    const [rejected] = await inbox.waitFor(`$aws/things/${id}/shadow/update/rejected`);
    expect(JSON.parse(rejected!.payload)).toMatchObject({ code: 400, message: expect.stringMatching(/too many levels of nesting/) });
    const code = await new Promise<number | undefined>((resolve) =>
      c.publish(`devices/${id}/telemetry`, nested(5000), { qos: 1 }, (err, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? (err as { code?: number } | undefined)?.code)),
    );
    expect(code).toBe(0x99);
    await c.publishAsync(`devices/${id}/telemetry`, JSON.stringify({ t: 1 }), { qos: 1 });
    expect(Object.keys(await latest(id))).toEqual(["t"]);
    c.end(true);
  });

  it("CoAP: a deep JSON shadow update is 4.00", async () => {
    const coapToken = await createDevice("in-coap-deep");
    const c = await CoapWsClient.connect(`${hubUrl().replace("http", "ws")}/.well-known/coap`);
    const r = await c.request({ method: "POST", path: "shadow", query: [`auth=${coapToken}`], contentFormat: 50, payload: `{"state":{"desired":${nested(400)}}}` });
    expect(codeText(r.code)).toBe("4.00");
    expect(new TextDecoder().decode(r.payload)).toMatch(/nests deeper/);
    await c.close();
  });
});

describe("MQTT 5 QoS 2 refusals", () => {
  it.each(["/mqtt/in-1", "/mqtt"])("a sample refused with PUBREC 0x99 frees its packet id: the next sample with that id is stored (%s)", async (path) => {
    const raw = await RawMqtt.open(path, 5);
    expect((await raw.connect("in-1", token)).reasonCode).toBe(0);
    const publish = (payload: string) => ({ type: "publish", topic: "devices/in-1/telemetry", payload: new TextEncoder().encode(payload), qos: 2, retain: false, dup: false, packetId: 5 }) as const;
    raw.send(publish("not a sample"));
    expect(await raw.next("pubrec")).toMatchObject({ packetId: 5, reasonCode: 0x99 });
    // No PUBREL follows a refusal (§4.3.3): id 5 is free. Before, the session still held it and took this for a resend.
    const mark = Date.now();
    raw.send(publish(JSON.stringify({ refusedThen: mark })));
    expect(await raw.next("pubrec")).toMatchObject({ packetId: 5, reasonCode: 0 });
    raw.send({ type: "pubrel", packetId: 5, reasonCode: 0 });
    expect(await raw.next("pubcomp")).toMatchObject({ packetId: 5, reasonCode: 0 });
    expect((await latest("in-1")).refusedThen).toMatchObject({ value: mark });
    raw.close();
  });
});

describe("shadow requests", () => {
  it('{"state":{}} is a 400 as in AWS, and the version does not move', async () => {
    await apiJson("POST", "/v1/devices/in-1/shadow", 200, { body: { state: { desired: { on: true } } } });
    const r = await apiJson<{ detail: string; code: number }>("POST", "/v1/devices/in-1/shadow", 400, { body: { state: {} } });
    expect(r.code).toBe(400);
    expect((await apiJson<{ version: number }>("GET", "/v1/devices/in-1/shadow", 200)).version).toBe(1);
  });

  it("the JSON socket answers a malformed shadow request with shadow.rejected 400 and its clientToken", async () => {
    const dev = await JsonSocket.open(token);
    // Before: a bare error {code: "bad_message"} without the clientToken, so the device could not tell which request failed.
    dev.send({ type: "shadow.update", shadow: "cfg", state: [1], clientToken: "ct-array" });
    expect(await dev.next((m) => m.type === "shadow.rejected")).toMatchObject({ shadow: "cfg", op: "update", code: 400, clientToken: "ct-array", message: expect.stringMatching(/state/) });
    dev.send({ type: "shadow.delete", version: -1, clientToken: "ct-negver" });
    expect(await dev.next((m) => m.type === "shadow.rejected")).toMatchObject({ shadow: "", op: "delete", code: 400, clientToken: "ct-negver" });
    dev.send({ type: "shadow.get", shadow: "bad name", clientToken: "ct-name" });
    expect(await dev.next((m) => m.type === "shadow.rejected")).toMatchObject({ shadow: "bad name", op: "get", code: 400, clientToken: "ct-name" });
    await dev.close();
  });

  it("a 413 names the limit", async () => {
    const r = await apiJson<{ detail: string }>("POST", "/v1/devices/in-1/shadow", 413, { body: { state: { desired: { big: "x".repeat(70_000) } } } });
    expect(r.detail).toMatch(/65536 bytes/);
  });

  it("history pages by cursor, and from_version still works", async () => {
    for (let i = 0; i < 4; i++) await apiJson("POST", "/v1/devices/in-1/shadow", 200, { body: { state: { reported: { n: i } } } });
    const versions: number[] = [];
    let cursor: string | null = null;
    do {
      const page: { items: { version: number }[]; next_cursor: string | null } = await apiJson("GET", `/v1/devices/in-1/shadow/history?limit=2${cursor ? `&cursor=${cursor}` : ""}`, 200);
      versions.push(...page.items.map((i) => i.version));
      cursor = page.next_cursor;
    } while (cursor);
    expect(versions).toEqual([1, 2, 3, 4, 5]);
    const alias = await apiJson<{ items: { version: number }[] }>("GET", "/v1/devices/in-1/shadow/history?from_version=4", 200);
    expect(alias.items.map((i) => i.version)).toEqual([4, 5]);
  });
});

describe("a scalar on an MQTT telemetry sub-topic", () => {
  it.each([
    ["3.1.1 on the fast path", "/mqtt/in-sub-4", "in-sub-4", 4],
    ["5.0 on the relay", "/mqtt", "in-sub-5", 5],
  ] as const)("is JSON, else text, else CBOR, and keeps its key (%s)", async (_name, path, id, protocolVersion) => {
    const c = await connectMqtt(path, { clientId: id, password: await createDevice(id), protocolVersion });
    const put = (key: string, payload: string | Buffer, properties?: { contentType: string }) => c.publishAsync(`devices/${id}/telemetry/${key}`, payload, { qos: 1, ...(properties ? { properties } : {}) });
    // Before: "ab" was stored as "b" and "-" as -14 (both read as CBOR), "ON" refused, and the
    // envelope lost its key.
    await put("word", "ab");
    await put("dash", "-");
    await put("state", "ON");
    await put("temp", "21.5");
    await put("cbor", Buffer.from([0xf9, 0x3c, 0x00])); // CBOR half float 1.0: not text
    await put("cstr", Buffer.from("OFF\0")); // a C string with its NUL
    await put("cfg", '{"data":{"mode":"eco"},"ts":1}');
    if (protocolVersion === 5) await put("typed", Buffer.from("-"), { contentType: "application/cbor" });
    const values = Object.fromEntries(Object.entries(await apiJson<Record<string, { value: unknown }>>("GET", `/v1/devices/${id}/telemetry/latest`, 200)).map(([k, v]) => [k, v.value]));
    expect(values).toEqual({ word: "ab", dash: "-", state: "ON", temp: 21.5, cbor: 1, cstr: "OFF", cfg: { data: { mode: "eco" }, ts: 1 }, ...(protocolVersion === 5 ? { typed: -14 } : {}) });
    c.end(true);
  });
});
