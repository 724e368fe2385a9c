/**
 * SenML (RFC 8428) telemetry over CoAP and HTTP against a real hub (issue 8, item 19): a record
 * must carry a value or a sum (§4.2), a sum beside a value is kept, a data value (`vd`) stays
 * distinguishable from a string (`vs`), and units (`u`/`bu`) are kept — in stored rows, in
 * `GET …/telemetry` and in `GET …/telemetry/latest`.
 */
import { describe, expect, it } from "vitest";
import { Encoder } from "cbor-x";
import { api, apiJson, createDevice, hubUrl } from "./client";
import { CoapWsClient, Opts, codeText, optionUint } from "../clients/coap-ws-client";

// Plain CBOR maps and byte strings (no cbor-x tags 259 and 64), as a SenML device sends them.
const encoder = new Encoder({ useRecords: false, useTag259ForMaps: false, tagUint8Array: false } as ConstructorParameters<typeof Encoder>[0]);
const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;

interface Row {
  ts: number;
  data: Record<string, unknown>;
  units?: Record<string, string>;
  sums?: Record<string, number>;
  types?: Record<string, string>;
}

describe("SenML keeps value kinds, sums and units", () => {
  it("over HTTP (SenML JSON): refuses a record without value or sum, keeps the rest", async () => {
    const token = await createDevice("senml-1");
    const send = (pack: unknown) =>
      api("POST", "/v1/devices/senml-1/telemetry", { token, body: JSON.stringify(pack), headers: { "content-type": "application/senml+json" } });
    const bt = Math.floor(Date.now() / 1000) - 10;

    const empty = await send([{ bn: "m:", bt, n: "temp", u: "Cel" }]);
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { detail: string }).detail).toMatch(/senml_no_value/);
    // A time in milliseconds is refused in SenML's own unit, seconds.
    const ms = await send([{ n: "temp", v: 1, t: Date.now() }]);
    expect(ms.status).toBe(400);
    expect(((await ms.json()) as { detail: string }).detail).toMatch(/^t must be SenML time, epoch seconds .*looks like milliseconds/);

    const ok = await send([
      { bn: "m:", bt, bu: "Cel", n: "temp", v: 21.5 },
      { n: "energy", u: "kWh", v: 1.25, s: 340 },
      { n: "count", u: "count", s: 17 },
      { n: "fw", vd: "AAEC" },
      { n: "label", vs: "AAEC" },
      { n: "open", vb: true },
    ]);
    expect(ok.status).toBe(202);
    const { items } = await apiJson<{ items: Row[] }>("GET", "/v1/devices/senml-1/telemetry", 200);
    expect(items).toEqual([
      {
        ts: bt * 1000,
        data: { "m:temp": 21.5, "m:energy": 1.25, "m:count": 17, "m:fw": "AAEC", "m:label": "AAEC", "m:open": true },
        units: { "m:temp": "Cel", "m:energy": "kWh", "m:count": "count", "m:fw": "Cel", "m:label": "Cel", "m:open": "Cel" },
        sums: { "m:energy": 340, "m:count": 17 },
        types: { "m:count": "sum", "m:fw": "data" },
      },
    ]);
    const latest = await apiJson<Record<string, Record<string, unknown>>>("GET", "/v1/devices/senml-1/telemetry/latest", 200);
    expect(latest["m:temp"]).toEqual({ ts: bt * 1000, value: 21.5, unit: "Cel" });
    expect(latest["m:energy"]).toEqual({ ts: bt * 1000, value: 1.25, unit: "kWh", sum: 340 });
    expect(latest["m:count"]).toEqual({ ts: bt * 1000, value: 17, unit: "count", sum: 17, type: "sum" });
    expect(latest["m:fw"]).toMatchObject({ value: "AAEC", type: "data" });
    expect(latest["m:label"]).not.toHaveProperty("type");
  });

  it("over CoAP (SenML CBOR): 4.00 with a typed diagnostic for a record without value, units and kinds kept", async () => {
    const token = await createDevice("senml-2");
    const c = await CoapWsClient.connect(coapUrl());
    const t = Math.floor(Date.now() / 1000) - 5;
    // RFC 8428 §6 labels: bn -2, bt -3, bu -4, n 0, u 1, v 2, vs 3, s 5, vd 8
    const bad = encoder.encode([new Map<number, unknown>([[-2, "c:"], [-3, t], [0, "x"], [1, "V"]])]);
    const refused = await c.request({ method: "POST", path: "telemetry", query: [`auth=${token}`], contentFormat: 112, payload: bad });
    expect(codeText(refused.code)).toBe("4.00");
    expect(optionUint(refused, Opts.CONTENT_FORMAT)).toBe(50);
    const pack = encoder.encode([
      new Map<number, unknown>([[-2, "c:"], [-3, t], [-4, "V"], [0, "volt"], [2, 230]]),
      new Map<number, unknown>([[0, "blob"], [8, Uint8Array.of(0, 1, 2)]]),
      new Map<number, unknown>([[0, "wh"], [1, "Wh"], [2, 5], [5, 900]]),
    ]);
    // libcoap's empty token: a bare 2.04 would be a 2-byte message, which libcoap 4.3.5 drops
    const stored = await c.request({ method: "POST", path: "telemetry", contentFormat: 112, payload: pack, token: new Uint8Array() });
    expect(codeText(stored.code)).toBe("2.04");
    expect(JSON.parse(new TextDecoder().decode(stored.payload))).toEqual({ accepted: 1 });
    expect(c.frameSizes.every((n) => n > 2)).toBe(true);
    const { items } = await apiJson<{ items: Row[] }>("GET", "/v1/devices/senml-2/telemetry", 200);
    expect(items).toEqual([
      {
        ts: t * 1000,
        data: { "c:volt": 230, "c:blob": "AAEC", "c:wh": 5 },
        units: { "c:volt": "V", "c:blob": "V", "c:wh": "Wh" },
        sums: { "c:wh": 900 },
        types: { "c:blob": "data" },
      },
    ]);
    await c.close();
  });

  it("records repeating a name at one time (RFC 8428 §5.1.4) are all kept, one row each", async () => {
    const token = await createDevice("senml-3");
    const bt = Math.floor(Date.now() / 1000) - 20;
    const pack = [{ bn: "gps", bt, u: "lat", v: 60.07965 }, { u: "lon", v: 24.30621 }];
    const r = await api("POST", "/v1/devices/senml-3/telemetry", { token, body: JSON.stringify(pack), headers: { "content-type": "application/senml+json" } });
    expect(r.status).toBe(202);
    const { items } = await apiJson<{ items: Row[] }>("GET", "/v1/devices/senml-3/telemetry", 200);
    expect(items).toEqual([
      { ts: bt * 1000, data: { gps: 60.07965 }, units: { gps: "lat" } },
      { ts: bt * 1000, data: { gps: 24.30621 }, units: { gps: "lon" } },
    ]);
  });

  it("refuses, on HTTP and CoAP alike, what it could not store as sent: values past a double, nesting past JSON_MAX_DEPTH, more than 1,000 samples", async () => {
    const token = await createDevice("senml-5");
    const bt = Math.floor(Date.now() / 1000) - 30;
    const http = (text: string) => api("POST", "/v1/devices/senml-5/telemetry", { token, body: text, headers: { "content-type": "application/senml+json" } });
    const detail = async (r: Response) => ((await r.json()) as { detail: string }).detail;
    // 1e400 parses as Infinity, and a base value plus a value can overflow: both were stored as null
    for (const text of [`[{"n":"a","v":1e400}]`, `[{"n":"b","bv":1e308,"v":1e308}]`, `[{"n":"c","s":-1e400}]`]) {
      const r = await http(text);
      expect(r.status).toBe(400);
      expect(await detail(r)).toMatch(/senml_not_finite in record 0/);
    }
    const many = await http(JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ n: "x", t: bt - i, v: i }))));
    expect(many.status).toBe(400);
    expect(await detail(many)).toMatch(/more than 1000 samples/);
    const c = await CoapWsClient.connect(coapUrl());
    const coap = (contentFormat: number, payload: Uint8Array) => c.request({ method: "POST", path: "telemetry", query: [`auth=${token}`], contentFormat, payload });
    // SenML JSON over CoAP was parsed at any depth (HTTP's body check had hidden it)
    const deep = `[{"n":"a","v":1,"x":${"[".repeat(40)}${"]".repeat(40)}}]`;
    expect((await http(deep)).status).toBe(400);
    const deepCoap = await coap(110, new TextEncoder().encode(deep));
    expect(codeText(deepCoap.code)).toBe("4.00");
    expect(new TextDecoder().decode(deepCoap.payload)).toMatch(/deeper than 32/);
    const nan = await coap(112, encoder.encode([new Map<number, unknown>([[0, "d"], [2, NaN]])]));
    expect(codeText(nan.code)).toBe("4.00");
    expect(new TextDecoder().decode(nan.payload)).toMatch(/senml_not_finite/);
    await c.close();
    // nothing of any of them was stored
    expect((await apiJson<{ items: Row[] }>("GET", "/v1/devices/senml-5/telemetry", 200)).items).toEqual([]);
  });

  it("JSON telemetry rows are unchanged: no units, sums or types", async () => {
    const token = await createDevice("senml-4");
    const r = await api("POST", "/v1/devices/senml-4/telemetry", { token, body: { data: { temp: 20 }, ts: Date.now() - 1000 } });
    expect(r.status).toBe(202);
    const { items } = await apiJson<{ items: Row[] }>("GET", "/v1/devices/senml-4/telemetry", 200);
    expect(Object.keys(items[0]).sort()).toEqual(["data", "ts"]);
  });
});
