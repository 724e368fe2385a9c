/**
 * CoAP over WebSockets with a client written from RFC 8323 (not from our codec), and CBOR /
 * SenML bodies over HTTP, against a real hub. Payloads are encoded with cbor-x, a third party.
 */
import { describe, expect, it } from "vitest";
import { Encoder, decode as cborxDecode } from "cbor-x";
import { api, apiJson, createDevice, eventually, hubUrl } from "./client";
import { CoapWsClient, Opts, codeText, optionUint, type WireMessage } from "../clients/coap-ws-client";

// Plain CBOR maps for Maps (no cbor-x tag 259), as a SenML device would send them.
const encoder = new Encoder({ useRecords: false, useTag259ForMaps: false } as ConstructorParameters<typeof Encoder>[0]);
const cborx = (v: unknown) => encoder.encode(v);
const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;
const text = (m: WireMessage) => new TextDecoder().decode(m.payload);
const json = (m: WireMessage) => JSON.parse(text(m)) as Record<string, unknown>;

describe("CoAP over WebSockets", () => {
  it("exchanges CSM, refuses unauthenticated requests, serves the shadow, observes the delta, stores SenML-CBOR", async () => {
    const token = await createDevice("coap-1");
    await apiJson("POST", "/v1/devices/coap-1/shadow", 200, { body: { state: { desired: { led: "off" }, reported: { led: "off" } } } });
    const c = await CoapWsClient.connect(coapUrl());
    expect(c.serverCsm.maxMessageSize).toBeGreaterThanOrEqual(1152);
    expect(c.serverCsm.blockWise).toBe(true);

    const anon = await c.request({ method: "GET", path: "shadow" });
    expect(codeText(anon.code)).toBe("4.01");

    const got = await c.request({ method: "GET", path: "shadow", query: [`auth=${token}`] });
    expect(codeText(got.code)).toBe("2.05");
    expect(optionUint(got, Opts.CONTENT_FORMAT) ?? 0).toBe(50);
    expect(json(got)).toMatchObject({ state: { desired: { led: "off" } }, version: 1 });

    const asCbor = await c.request({ method: "GET", path: "shadow", accept: 60 });
    expect(optionUint(asCbor, Opts.CONTENT_FORMAT)).toBe(60);
    expect(cborxDecode(asCbor.payload)).toMatchObject({ state: { reported: { led: "off" } } });

    const notes: WireMessage[] = [];
    const { response } = await c.observe("shadow/delta", (m) => notes.push(m));
    expect(codeText(response.code)).toBe("2.05");
    expect(optionUint(response, Opts.OBSERVE)).toBeDefined();
    expect(json(response)).toEqual({});

    await apiJson("POST", "/v1/devices/coap-1/shadow", 200, { body: { state: { desired: { led: "on" } } } });
    const note = await eventually(async () => notes[0]);
    expect(codeText(note.code)).toBe("2.05");
    expect(json(note)).toEqual({ led: "on" });
    expect(optionUint(note, Opts.OBSERVE)! > optionUint(response, Opts.OBSERVE)!).toBe(true);

    const update = await c.request({ method: "POST", path: "shadow", contentFormat: 60, payload: cborx({ state: { reported: { led: "on" } } }) });
    expect(codeText(update.code)).toBe("2.04");
    const cleared = await eventually(async () => notes[1]);
    expect(json(cleared)).toEqual({});

    const t = Math.floor(Date.now() / 1000);
    // SenML CBOR with integer labels (RFC 8428 §6): bn -2, bt -3, n 0, u 1, v 2, t 6.
    const pack = cborx([
      new Map<number, unknown>([[-2, "coap-1/"], [-3, t], [0, "temp"], [1, "Cel"], [2, 21.5]]),
      new Map<number, unknown>([[0, "hum"], [1, "%RH"], [2, 40], [6, 0]]),
    ]);
    const stored = await c.request({ method: "POST", path: "telemetry", contentFormat: 112, payload: pack });
    expect(codeText(stored.code)).toBe("2.04");
    const rows = await apiJson<{ items: { ts: number; data: Record<string, unknown>; units?: Record<string, string> }[] }>("GET", "/v1/devices/coap-1/telemetry", 200);
    expect(rows.items).toEqual([{ ts: t * 1000, data: { "coap-1/temp": 21.5, "coap-1/hum": 40 }, units: { "coap-1/temp": "Cel", "coap-1/hum": "%RH" } }]);

    const unsupported = await c.request({ method: "POST", path: "telemetry", contentFormat: 0, payload: "21" });
    expect(codeText(unsupported.code)).toBe("4.15");

    const status = await apiJson<{ status: { connected: boolean; protocol: string } }>("GET", "/v1/devices/coap-1", 200);
    expect(status.status).toMatchObject({ connected: true, protocol: "coap" });
    expect(codeText((await c.ping()).code)).toBe("7.03");
    await c.close();
  });

  it("aborts a malformed frame with 7.05 and a diagnostic, and keeps serving others", async () => {
    const c = await CoapWsClient.connect(coapUrl());
    c.send(Uint8Array.of(0x0f, 0x01)); // TKL 15 is a message format error (RFC 8323 §4.4)
    const closed = await c.closed;
    const abort = c.signals.find((m) => codeText(m.code) === "7.05");
    expect(abort).toBeDefined();
    expect(text(abort!)).not.toBe("");
    expect(closed.code).not.toBe(1000);
    const other = await CoapWsClient.connect(coapUrl());
    expect(codeText((await other.ping()).code)).toBe("7.03");
    await other.close();
  });
});

describe("CBOR and SenML over HTTP", () => {
  it("takes CBOR, SenML JSON and SenML CBOR telemetry; answers shadows in CBOR; names the offset of bad CBOR", async () => {
    const token = await createDevice("cbor-1");
    const now = Date.now();
    const send = (type: string, body: Uint8Array | string) => api("POST", "/v1/devices/cbor-1/telemetry", { token, body, headers: { "content-type": type } });
    expect((await send("application/cbor", cborx({ data: { rpm: 1200 }, ts: now - 3000 }))).status).toBe(202);
    const bt = Math.floor(now / 1000) - 2;
    expect((await send("application/senml+json", JSON.stringify([{ bn: "m:", bt, n: "a", v: 1 }, { n: "b", vs: "x" }]))).status).toBe(202);
    expect((await send("application/senml+cbor", cborx([new Map<number, unknown>([[-3, bt + 1], [0, "c"], [4, true]])]))).status).toBe(202);
    const rows = await apiJson<{ items: { ts: number; data: Record<string, unknown> }[] }>("GET", "/v1/devices/cbor-1/telemetry", 200);
    expect(rows.items).toEqual([
      { ts: now - 3000, data: { rpm: 1200 } },
      { ts: bt * 1000, data: { "m:a": 1, "m:b": "x" } },
      { ts: (bt + 1) * 1000, data: { c: true } },
    ]);

    const bad = await send("application/cbor", Uint8Array.of(0xa1, 0x61, 0x61));
    expect(bad.status).toBe(400);
    const problem = (await bad.json()) as { type: string; offset: number; reason: string };
    expect(problem.type).toMatch(/malformed-cbor/);
    expect(problem.offset).toBe(3);
    expect(problem.reason).toBe("truncated");
    expect((await send("text/plain", "21")).status).toBe(415);

    const upd = await api("POST", "/v1/devices/cbor-1/shadow", { token, body: cborx({ state: { reported: { fw: "1.2" } } }), headers: { "content-type": "application/cbor", accept: "application/cbor" } });
    expect(upd.status).toBe(200);
    expect(upd.headers.get("content-type")).toBe("application/cbor");
    expect(cborxDecode(new Uint8Array(await upd.arrayBuffer()))).toMatchObject({ state: { reported: { fw: "1.2" } }, version: 1 });
    // The server keeps serving after bad input.
    expect((await api("GET", "/v1/devices/cbor-1/shadow", { token })).status).toBe(200);
  });
});
