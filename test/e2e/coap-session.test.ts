/**
 * The life of a CoAP-over-WebSocket connection against a real hub, with the RFC-written test
 * client: typed error diagnostics, the delta emptied by a delete, the pre-authentication
 * timeout, and how the hub ends a session whose device was disabled, deleted or taken over
 * (issue 8, items 17, 20, D and A).
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { api, apiJson, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";
import { CoapWsClient, Codes, Opts, codeText, decodeMessage, optionUint, type WireMessage } from "../clients/coap-ws-client";

const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;
const text = (m: WireMessage) => new TextDecoder().decode(m.payload);
const json = (m: WireMessage) => JSON.parse(text(m)) as Record<string, unknown>;

async function bound(id: string): Promise<{ token: string; c: CoapWsClient }> {
  const token = await createDevice(id);
  const c = await CoapWsClient.connect(coapUrl());
  const first = await c.request({ method: "GET", path: "shadow/none", query: [`auth=${token}`] });
  expect(codeText(first.code)).toBe("4.04");
  return { token, c };
}

describe("CoAP errors carry a typed diagnostic (RFC 7252 §5.5.2)", () => {
  it("every 4.xx/5.xx answers JSON {code, message} with Content-Format 50", async () => {
    const token = await createDevice("err-1");
    const c = await CoapWsClient.connect(coapUrl());
    const errors: WireMessage[] = [];
    errors.push(await c.request({ method: "GET", path: "shadow" })); // 4.01: no auth yet
    errors.push(await c.request({ method: "GET", path: "nowhere", query: [`auth=${token}`] })); // 4.04
    errors.push(await c.request({ method: "PUT", path: "shadow" })); // 4.05
    errors.push(await c.request({ method: "GET", path: "shadow", accept: 0 })); // 4.06
    errors.push(await c.request({ method: "POST", path: "telemetry", contentFormat: 0, payload: "21" })); // 4.15
    errors.push(await c.request({ method: "GET", path: "shadow", options: [{ number: 9, value: new Uint8Array() }] })); // 4.02
    errors.push(await c.request({ method: "GET", path: "shadow" })); // 4.04: no shadow yet (an AWS error body)
    errors.push(await c.request({ method: "POST", path: "shadow", payload: "{not json" })); // 4.00
    errors.push(await c.request({ method: "GET", path: "shadow", accept: 60 })); // 4.04 asked in CBOR: errors stay JSON
    expect(errors.map((m) => codeText(m.code))).toEqual(["4.01", "4.04", "4.05", "4.06", "4.15", "4.02", "4.04", "4.00", "4.04"]);
    for (const m of errors) {
      expect(optionUint(m, Opts.CONTENT_FORMAT)).toBe(50);
      const body = json(m);
      expect(body.code).toBe(Math.floor(m.code / 32) * 100 + (m.code % 32));
      expect(typeof body.message).toBe("string");
    }
    await c.close();
  });
});

describe("Observers of a delta see the delete (issue 8 item 17)", () => {
  it("a REST or CoAP delete of a shadow with an open delta notifies {} and pushes an empty delta to JSON devices", async () => {
    const { token, c } = await bound("del-1");
    await apiJson("POST", "/v1/devices/del-1/shadow", 200, { body: { state: { desired: { led: "on" } } } });
    await apiJson("POST", "/v1/devices/del-1/shadows/lamp", 200, { body: { state: { desired: { level: 3 } } } });
    const classic: WireMessage[] = [];
    const lamp: WireMessage[] = [];
    expect(json((await c.observe("shadow/delta", (m) => classic.push(m))).response)).toEqual({ led: "on" });
    expect(json((await c.observe("shadow/lamp/delta", (m) => lamp.push(m))).response)).toEqual({ level: 3 });

    expect((await api("DELETE", "/v1/devices/del-1/shadow")).status).toBe(200);
    const cleared = await eventually(async () => classic[0]);
    expect(codeText(cleared.code)).toBe("2.05");
    expect(json(cleared)).toEqual({});

    expect(codeText((await c.request({ method: "DELETE", path: "shadow/lamp" })).code)).toBe("2.02");
    const lampCleared = await eventually(async () => lamp[0]);
    expect(json(lampCleared)).toEqual({});
    expect(optionUint(lampCleared, Opts.OBSERVE)).toBeGreaterThan(1);
    await c.close();

    // The same event on the JSON protocol: an empty shadow.delta after the delete.
    await apiJson("POST", "/v1/devices/del-1/shadow", 200, { body: { state: { desired: { led: "off" } } } });
    const j = await JsonSocket.open(token);
    await j.next((m) => m.type === "shadow.delta" && m.shadow === "");
    expect((await api("DELETE", "/v1/devices/del-1/shadow")).status).toBe(200);
    const empty = await j.next((m) => m.type === "shadow.delta");
    expect(empty).toMatchObject({ shadow: "", state: {} });
    await j.close();
  });
});

describe("libcoap 4.3.5 interop", () => {
  it("answers an empty-token Ping and POST /telemetry with messages longer than 2 bytes (libcoap drops 2-byte ones)", async () => {
    const { c } = await bound("lc-1");
    const pong = await c.ping(false, new Uint8Array());
    expect(codeText(pong.code)).toBe("7.03");
    const stored = await c.request({ method: "POST", path: "telemetry", payload: JSON.stringify({ data: { t: 1 } }), token: new Uint8Array() });
    expect(codeText(stored.code)).toBe("2.04");
    expect(c.frameSizes.every((n) => n > 2)).toBe(true);
    await c.close();
  });
});

describe("Pre-authentication timeout (issue 8 item D)", () => {
  it("aborts a socket that sends no CSM, and one that never authenticates", async () => {
    const silent = new WebSocket(coapUrl(), ["coap"]);
    const silentFrames: WireMessage[] = [];
    silent.on("message", (d: Buffer) => silentFrames.push(decodeMessage(new Uint8Array(d))));
    const silentClosed = new Promise<number>((r) => silent.on("close", (code) => r(code)));
    await new Promise((r) => silent.once("open", r));

    const idle = await CoapWsClient.connect(coapUrl());
    expect(codeText((await idle.request({ method: "GET", path: "shadow" })).code)).toBe("4.01");

    const [silentCode, idleClose] = await Promise.all([silentClosed, idle.closed]);
    const abort = silentFrames.find((m) => m.code === Codes.ABORT);
    expect(abort).toBeDefined();
    expect(text(abort!)).toMatch(/CSM/);
    expect(silentCode).toBe(1008);
    const idleAbort = idle.signals.find((m) => m.code === Codes.ABORT);
    expect(text(idleAbort!)).toMatch(/auth/);
    expect(idleClose.code).toBe(1008);
  }, 30_000);
});

describe("The hub ends sessions whose device changed (issue 8 item A)", () => {
  it("a disabled device gets Abort 7.05 naming the reason", async () => {
    const { c } = await bound("end-1");
    await apiJson("PATCH", "/v1/devices/end-1", 200, { body: { enabled: false } });
    const closed = await c.closed;
    const abort = c.signals.find((m) => m.code === Codes.ABORT);
    expect(abort).toBeDefined();
    expect(text(abort!)).toMatch(/disabled/);
    expect(closed.code).toBe(1008);
  });

  it("a revoked credential gets Abort 7.05 naming the reason", async () => {
    const { c } = await bound("end-4");
    const creds = await apiJson<{ items: { id: string }[] }>("GET", "/v1/devices/end-4/credentials", 200);
    await apiJson("DELETE", `/v1/devices/end-4/credentials/${creds.items[0]!.id}`, 200);
    const closed = await c.closed;
    expect(text(c.signals.find((m) => m.code === Codes.ABORT)!)).toMatch(/credential revoked or expired/);
    expect(closed.code).toBe(1008);
  });

  it("a deleted device gets Abort 7.05 naming the reason", async () => {
    const { c } = await bound("end-2");
    expect((await api("DELETE", "/v1/devices/end-2")).status).toBe(204);
    await c.closed;
    expect(text(c.signals.find((m) => m.code === Codes.ABORT)!)).toMatch(/deleted/);
  });

  it("a connection taken over by a newer one gets Release 7.04", async () => {
    const { token, c } = await bound("end-3");
    const newer = await CoapWsClient.connect(coapUrl());
    expect(codeText((await newer.request({ method: "GET", path: "shadow/none", query: [`auth=${token}`] })).code)).toBe("4.04");
    await c.closed;
    expect(c.signals.map((m) => m.code)).toContain(Codes.RELEASE);
    expect(c.signals.map((m) => m.code)).not.toContain(Codes.ABORT);
    expect(codeText((await newer.ping()).code)).toBe("7.03");
    await newer.close();
  });
});
