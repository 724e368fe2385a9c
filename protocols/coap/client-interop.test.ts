import fc from "fast-check";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { CoapWsClient, codeText, decodeMessage, encodeMessage, optionUint } from "../../test/clients/coap-ws-client";
import type { WireMessage } from "../../test/clients/coap-ws-client";
import { blockOption } from "./block";
import type { CoapMessage } from "./codec";
import { decode, encode, sortOptions } from "./codec";
import { Code } from "./codes";
import { Option, contentFormatOption, emptyOption, pathOptions, queryOptions, uintOption } from "./options";
import { CoapSession } from "./server";
import { abortMessage, csmMessage, pingMessage } from "./signaling";
import { FakeHost } from "./testing/fake-host";

// The only file allowed to import both: the independent client and our codec must agree.
const samples: [string, CoapMessage][] = [
  ["CSM", csmMessage({ maxMessageSize: 66560, blockWise: true })],
  ["Ping with Custody", pingMessage(Uint8Array.of(9), true)],
  ["Abort with diagnostic", abortMessage("CSM must be first", 4)],
  [
    "GET Observe delta with auth",
    { code: Code.GET, token: Uint8Array.of(1, 2, 3, 4), options: [emptyOption(Option.OBSERVE), ...pathOptions("/shadow/lamp/delta"), ...queryOptions(["auth=secret"]), uintOption(Option.ACCEPT, 60)], payload: new Uint8Array() },
  ],
  [
    "POST Block1 with Size1 and a long payload",
    {
      code: Code.POST,
      token: new Uint8Array(),
      options: [...pathOptions("/telemetry"), contentFormatOption(112), blockOption(Option.BLOCK1, { num: 3, more: true, szx: 6 }), uintOption(Option.SIZE1, 70000)],
      payload: new Uint8Array(1024).fill(7),
    },
  ],
  ["long option value (14 extension)", { code: Code.CONTENT, token: Uint8Array.of(0xff), options: [{ number: 1000, value: new Uint8Array(400).fill(1) }], payload: Uint8Array.of(1) }],
];

const toWire = (m: CoapMessage): WireMessage => ({ ...m, options: m.options.map((o) => ({ number: o.number, value: o.value })) });

describe("independent test client ↔ codec", () => {
  it.each(samples)("%s: client bytes = codec bytes, each decodes the other", (_n, m) => {
    const ours = encode(m);
    const theirs = encodeMessage(toWire(m));
    expect(theirs).toEqual(ours);
    expect(decode(theirs)).toEqual({ ...m, options: sortOptions(m.options) });
    expect(decodeMessage(ours)).toEqual(toWire({ ...m, options: sortOptions(m.options) }));
  });

  it("agree on random messages", () => {
    const msg = fc.record({
      code: fc.integer({ min: 0, max: 255 }),
      token: fc.uint8Array({ maxLength: 8 }),
      options: fc.array(fc.record({ number: fc.integer({ min: 0, max: 2000 }), value: fc.uint8Array({ maxLength: 300 }) }), { maxLength: 6 }),
      payload: fc.uint8Array({ maxLength: 50 }),
    });
    fc.assert(
      fc.property(msg, (m) => {
        const sorted = { ...m, options: sortOptions(m.options) };
        expect(encodeMessage(sorted)).toEqual(encode(sorted));
        expect(decode(encodeMessage(sorted))).toEqual(sorted);
        expect(decodeMessage(encode(sorted))).toEqual(sorted);
      }),
      { numRuns: 500 },
    );
  });
});

describe("independent test client ↔ session over a real WebSocket", () => {
  const host = new FakeHost();
  const sessions: CoapSession[] = [];
  let server: WebSocketServer;
  let url = "";
  beforeAll(async () => {
    server = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: (p) => (p.has("coap") ? "coap" : false) });
    server.on("connection", (ws) => {
      const session = new CoapSession(host, { deviceId: "dev-1" });
      sessions.push(session);
      const flush = (out: { frames: Uint8Array[]; close: { code: number; reason: string } | null }) => {
        for (const f of out.frames) ws.send(f);
        if (out.close !== null) ws.close(out.close.code, out.close.reason);
      };
      flush(session.open());
      ws.on("message", (data: Buffer, binary: boolean) => void session.receive(binary ? new Uint8Array(data) : data.toString()).then(flush));
      ws.on("close", () => session.close());
    });
    await new Promise((r) => server.once("listening", r));
    url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/coap`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("CSM exchange, auth, update, observe, notify, ping, release", async () => {
    const client = await CoapWsClient.connect(url);
    expect(client.serverCsm).toEqual({ maxMessageSize: 66560, blockWise: true });
    expect(codeText((await client.request({ method: "GET", path: "/shadow" })).code)).toBe("4.01");
    const up = await client.request({ method: "POST", path: "/shadow", query: ["auth=secret"], contentFormat: 50, payload: JSON.stringify({ state: { desired: { on: true } } }) });
    expect(codeText(up.code)).toBe("2.04");
    const notes: unknown[] = [];
    const obs = await client.observe("/shadow/delta", (m) => notes.push(JSON.parse(new TextDecoder().decode(m.payload))));
    expect(codeText(obs.response.code)).toBe("2.05");
    expect(optionUint(obs.response, 6)).toBe(1);
    for (const f of sessions[0].notifyDelta(null, { on: false }).frames) server.clients.forEach((ws) => ws.send(f));
    await expect.poll(() => notes).toEqual([{ on: false }]);
    expect(codeText((await client.ping(true)).code)).toBe("7.03");
    expect(optionUint(await obs.cancel(), 6)).toBeUndefined();
    await client.close();
    expect((await client.closed).code).toBe(1000);
  });

  it("a malformed frame is answered with Abort and close 1002", async () => {
    const client = await CoapWsClient.connect(url);
    client.send(Uint8Array.of(0x09, 0x01));
    const closed = await client.closed;
    expect(closed.code).toBe(1002);
    expect(client.signals.map((m) => codeText(m.code))).toEqual(["7.05"]);
  });
});
