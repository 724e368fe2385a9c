/**
 * CoAP over WebSockets against a real hub: message sizes (RFC 8323 §5.3.1), block-wise
 * transfers (RFC 7959) and ETags (RFC 7252 §5.10.6), with the RFC-written test client. These
 * are the defects real clients found (issue 8, items 15, 16 and 18): libcoap 4.3.5 announces a
 * Max-Message-Size of 8,388,864 but reads at most ~1.4 KB per WebSocket message.
 */
import { describe, expect, it } from "vitest";
import { decode as cborDecode } from "cbor-x";
import { apiJson, createDevice, eventually, hubUrl } from "./client";
import { CoapWsClient, Opts, blockOpt, codeText, optionBlock, optionBytes, optionUint, type WireMessage } from "../clients/coap-ws-client";

const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const json = (m: WireMessage) => JSON.parse(text(m.payload)) as Record<string, unknown>;
const hex = (b: Uint8Array | undefined) => (b === undefined ? "" : Buffer.from(b).toString("hex"));
/** What libcoap 4.3.5 announces in its CSM. */
const LIBCOAP_CSM = { maxMessageSize: 8_388_864, blockWise: true };

/** A device whose classic shadow is about `bytes` long, and a connection authenticated as it. */
async function bigShadow(id: string, bytes: number, csm: { maxMessageSize: number; blockWise: boolean }) {
  const token = await createDevice(id);
  await apiJson("POST", `/v1/devices/${id}/shadow`, 200, { body: { state: { desired: { blob: "d".repeat(bytes) } } } });
  const c = await CoapWsClient.connect(coapUrl(), csm);
  // Authenticates the connection with a small answer: no such named shadow.
  const bound = await c.request({ method: "GET", path: "shadow/none", query: [`auth=${token}`] });
  expect(codeText(bound.code)).toBe("4.04");
  return { token, c };
}

describe("CoAP message sizes (RFC 8323 §5.3.1)", () => {
  it("never sends more than a peer's Max-Message-Size when it cannot do block-wise: refuses with a typed diagnostic", async () => {
    const { c } = await bigShadow("mms-1", 3000, { maxMessageSize: 256, blockWise: false });
    const got = await c.request({ method: "GET", path: "shadow" });
    expect(codeText(got.code)).toBe("5.00");
    expect(optionUint(got, Opts.CONTENT_FORMAT)).toBe(50);
    expect(String(json(got).message)).toMatch(/Max-Message-Size/);
    expect(Math.max(...c.frameSizes)).toBeLessThanOrEqual(256);
    await c.close();
  });

  it("blocks what does not fit when the peer announced Block-Wise-Transfer", async () => {
    const { c } = await bigShadow("mms-2", 3000, { maxMessageSize: 256, blockWise: true });
    const first = await c.request({ method: "GET", path: "shadow" });
    expect(codeText(first.code)).toBe("2.05");
    const { payload } = await c.fetchRest(first, { method: "GET", path: "shadow" });
    expect(JSON.parse(text(payload))).toMatchObject({ state: { desired: { blob: "d".repeat(3000) } }, version: 1 });
    expect(Math.max(...c.frameSizes)).toBeLessThanOrEqual(256);
    await c.close();
  });

  it("a notification too big for a peer without block-wise ends the observation with an error, never a big frame", async () => {
    const { c } = await bigShadow("mms-3", 10, { maxMessageSize: 300, blockWise: false });
    const notes: WireMessage[] = [];
    await c.observe("shadow/delta", (m) => notes.push(m));
    await apiJson("POST", "/v1/devices/mms-3/shadow", 200, { body: { state: { desired: { blob: "e".repeat(2000) } } } });
    const note = await eventually(async () => notes[0]);
    expect(codeText(note.code)).toBe("5.00");
    expect(optionUint(note, Opts.CONTENT_FORMAT)).toBe(50);
    expect(Math.max(...c.frameSizes)).toBeLessThanOrEqual(300);
    await c.close();
  });
});

describe("Block-wise by default (libcoap's CSM)", () => {
  it("answers anything over 1 KB in blocks of at most 1 KB, even to a peer announcing 8 MB", async () => {
    const { c } = await bigShadow("blk-1", 3000, LIBCOAP_CSM);
    const first = await c.request({ method: "GET", path: "shadow" });
    expect(codeText(first.code)).toBe("2.05");
    expect(optionBlock(first, Opts.BLOCK2)).toEqual({ num: 0, more: true, szx: 6 });
    expect(first.payload.length).toBe(1024);
    const { payload } = await c.fetchRest(first, { method: "GET", path: "shadow" });
    expect(JSON.parse(text(payload))).toMatchObject({ state: { desired: { blob: "d".repeat(3000) } } });
    expect(Math.max(...c.frameSizes)).toBeLessThanOrEqual(1152);
    await c.close();
  });

  it("answers a Block1 update in the client's block size and does not echo the large document", async () => {
    const { c } = await bigShadow("blk-2", 10, LIBCOAP_CSM);
    const body = new TextEncoder().encode(JSON.stringify({ state: { reported: { blob: "r".repeat(19_000) } } }));
    const szx = 4; // 256-byte blocks
    const blocks = Math.ceil(body.length / 256);
    let last: WireMessage | undefined;
    for (let num = 0; num < blocks; num++) {
      const more = num < blocks - 1;
      last = await c.request({ method: "POST", path: "shadow", contentFormat: 50, payload: body.slice(num * 256, (num + 1) * 256), options: [blockOpt(Opts.BLOCK1, { num, more, szx })] });
      if (more) {
        expect(codeText(last.code)).toBe("2.31");
        expect(optionBlock(last, Opts.BLOCK1)).toEqual({ num, more: true, szx });
      }
    }
    expect(codeText(last!.code)).toBe("2.04");
    expect(optionBlock(last!, Opts.BLOCK1)).toEqual({ num: blocks - 1, more: false, szx });
    expect(last!.payload.length).toBeLessThan(1024);
    expect(json(last!)).toMatchObject({ version: 2 });
    expect(Math.max(...c.frameSizes)).toBeLessThanOrEqual(1152);
    await c.close();
  });
});

describe("CoAP request bodies at the hub's limits, as on every other protocol", () => {
  /** Sends `body` to `path` in 1 KB Block1 blocks; the last answer. */
  async function upload(c: CoapWsClient, path: string, body: Uint8Array): Promise<WireMessage> {
    const blocks = Math.ceil(body.length / 1024);
    let last: WireMessage | undefined;
    for (let num = 0; num < blocks; num++) {
      last = await c.request({ method: "POST", path, contentFormat: 50, payload: body.slice(num * 1024, (num + 1) * 1024), options: [blockOpt(Opts.BLOCK1, { num, more: num < blocks - 1, szx: 6 })] });
      if (num < blocks - 1 && codeText(last.code) !== "2.31") return last;
    }
    return last!;
  }
  const encode = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));

  it("takes a shadow up to SHADOW_MAX_BYTES and telemetry up to MAX_BODY_BYTES; past them the shadow names its limit", async () => {
    const { c } = await bigShadow("blk-limits", 10, LIBCOAP_CSM);
    // Before: anything over 64 KiB was 4.13 "payload larger than 65536 bytes", whatever the limits said.
    const near = await upload(c, "shadow", encode({ state: { reported: { blob: "r".repeat(65_400) } } }));
    expect(codeText(near.code), text(near.payload)).toBe("2.04");
    const over = await upload(c, "shadow", encode({ state: { reported: { blob: "r".repeat(70_000) } } }));
    expect(codeText(over.code)).toBe("4.13");
    expect(String(json(over).message)).toMatch(/65536/);
    const telemetry = await upload(c, "telemetry", encode({ data: { blob: "t".repeat(200_000) } }));
    expect(codeText(telemetry.code), text(telemetry.payload)).toBe("2.04");
    const rows = await apiJson<{ items: { data: { blob: string } }[] }>("GET", "/v1/devices/blk-limits/telemetry", 200);
    expect(rows.items.map((r) => r.data.blob.length)).toEqual([200_000]);
    await c.close();
  });
});

describe("ETags and Block2 representations (RFC 7252 §5.10.6, RFC 7959 §2.4)", () => {
  it("large notifications use the block size of the registration and carry an ETag", async () => {
    const { c } = await bigShadow("etag-1", 10, LIBCOAP_CSM);
    const notes: WireMessage[] = [];
    const szx2 = [blockOpt(Opts.BLOCK2, { num: 0, more: false, szx: 2 })]; // 64-byte blocks
    const { response } = await c.observe("shadow/delta", (m) => notes.push(m), { options: szx2 });
    expect(codeText(response.code)).toBe("2.05");
    await apiJson("POST", "/v1/devices/etag-1/shadow", 200, { body: { state: { desired: { blob: "n".repeat(500) } } } });
    const note = await eventually(async () => notes.find((m) => m.payload.length > 0 && optionBlock(m, Opts.BLOCK2) !== undefined));
    expect(optionBlock(note, Opts.BLOCK2)).toEqual({ num: 0, more: true, szx: 2 });
    expect(note.payload.length).toBe(64);
    const etag = optionBytes(note, Opts.ETAG);
    expect(etag).toBeDefined();
    const { blocks, payload } = await c.fetchRest(note, { method: "GET", path: "shadow/delta" });
    for (const b of blocks) expect(hex(optionBytes(b, Opts.ETAG))).toBe(hex(etag));
    expect(JSON.parse(text(payload))).toMatchObject({ blob: "n".repeat(500) });
    await c.close();
  });

  it("JSON and CBOR representations have different ETags; each validates only itself", async () => {
    const { c } = await bigShadow("etag-2", 10, LIBCOAP_CSM);
    const asJson = await c.request({ method: "GET", path: "shadow" });
    const jsonTag = optionBytes(asJson, Opts.ETAG)!;
    const asCbor = await c.request({ method: "GET", path: "shadow", accept: 60, options: [{ number: Opts.ETAG, value: jsonTag }] });
    expect(codeText(asCbor.code)).toBe("2.05");
    expect(optionUint(asCbor, Opts.CONTENT_FORMAT)).toBe(60);
    const cborTag = optionBytes(asCbor, Opts.ETAG)!;
    expect(hex(cborTag)).not.toBe(hex(jsonTag));
    expect(codeText((await c.request({ method: "GET", path: "shadow", accept: 60, options: [{ number: Opts.ETAG, value: cborTag }] })).code)).toBe("2.03");
    expect(codeText((await c.request({ method: "GET", path: "shadow", options: [{ number: Opts.ETAG, value: jsonTag }] })).code)).toBe("2.03");
    expect(codeText((await c.request({ method: "GET", path: "shadow", options: [{ number: Opts.ETAG, value: cborTag }] })).code)).toBe("2.05");
    await c.close();
  });

  it("Block2 slices of one representation come from one rendering, whatever else is fetched in between", async () => {
    const { c } = await bigShadow("etag-3", 3000, LIBCOAP_CSM);
    const first = await c.request({ method: "GET", path: "shadow" });
    const cborFirst = await c.request({ method: "GET", path: "shadow", accept: 60 });
    expect(optionBlock(cborFirst, Opts.BLOCK2)?.more).toBe(true);
    const { blocks, payload } = await c.fetchRest(first, { method: "GET", path: "shadow" });
    for (const b of blocks) expect(hex(optionBytes(b, Opts.ETAG))).toBe(hex(optionBytes(first, Opts.ETAG)));
    const doc = JSON.parse(text(payload)) as { version: number; state: unknown };
    const cbor = await c.fetchRest(cborFirst, { method: "GET", path: "shadow", accept: 60 });
    expect(cborDecode(cbor.payload)).toMatchObject({ state: doc.state, version: doc.version });
    await c.close();
  });
});
