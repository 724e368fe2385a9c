import { decode as cborDecode } from "cbor-x";
import { describe, expect, it } from "vitest";
import { blockOption, decodeBlock } from "./block";
import type { CoapMessage } from "./codec";
import { decode, encode } from "./codec";
import { Code, formatCode } from "./codes";
import { Option, getOption, uintOption } from "./options";
import { CoapSession } from "./server";
import { Driver, has, text, uint } from "./testing/driver";

async function started(config = {}, csm = { maxMessageSize: 1152, blockWise: true }): Promise<Driver> {
  const d = new Driver(config);
  await d.start(csm);
  return d;
}

const block = (m: CoapMessage, n: 23 | 27) => {
  const v = getOption(m, n);
  return v === undefined ? undefined : decodeBlock(v);
};

describe("Block1: request payloads in blocks (RFC 7959 §2.3)", () => {
  const body = JSON.stringify({ state: { reported: { blob: "x".repeat(70) } } });
  const post = (d: Driver, num: number, more: boolean, szx: number, chunk: string, extra: { token?: number[]; size1?: number } = {}) =>
    d.request({
      method: Code.POST,
      path: "/shadow",
      token: extra.token,
      payload: chunk,
      options: [blockOption(Option.BLOCK1, { num, more, szx }), ...(extra.size1 === undefined ? [] : [uintOption(Option.SIZE1, extra.size1)])],
    });

  it("answers 2.31 per block, then the reassembled request's response with Block1", async () => {
    const d = await started();
    const chunks = body.match(/.{1,32}/g) ?? [];
    for (let i = 0; i < chunks.length - 1; i++) {
      const cont = await post(d, i, true, 1, chunks[i], { token: [i] });
      expect(formatCode(cont.code)).toBe("2.31");
      expect(block(cont, 27)).toEqual({ num: i, more: true, szx: 1 });
    }
    const last = await post(d, chunks.length - 1, false, 1, chunks[chunks.length - 1]);
    expect(formatCode(last.code)).toBe("2.04");
    expect(block(last, 27)).toEqual({ num: chunks.length - 1, more: false, szx: 1 });
    expect(d.host.shadows.get("")?.reported).toEqual({ blob: "x".repeat(70) });
  });

  it("a block refused for the device's rate (4.29) is sent again after Max-Age, and the transfer goes on", async () => {
    const d = await started();
    const chunks = body.match(/.{1,32}/g) ?? [];
    for (let i = 0; i < chunks.length; i++) {
      const more = i < chunks.length - 1;
      d.host.admitWait = 1_000;
      expect(formatCode((await post(d, i, more, 1, chunks[i]!)).code), `block ${i}`).toBe("4.29");
      d.host.admitWait = 0;
      // Before: the last block's 4.29 came after the reassembly was used up, and its repeat got 4.08.
      expect(formatCode((await post(d, i, more, 1, chunks[i]!)).code), `block ${i}`).toBe(more ? "2.31" : "2.04");
    }
    expect(d.host.shadows.get("")?.reported).toEqual({ blob: "x".repeat(70) });
  });

  it("a single final block is the whole request", async () => {
    const d = await started();
    expect(formatCode((await post(d, 0, false, 6, body)).code)).toBe("2.04");
  });

  it("BERT (SZX 7) blocks count in 1024-byte units (RFC 8323 §6)", async () => {
    const d = await started();
    const big = JSON.stringify({ state: { reported: { blob: "y".repeat(3000) } } });
    expect(formatCode((await post(d, 0, true, 7, big.slice(0, 2048))).code)).toBe("2.31");
    expect(formatCode((await post(d, 2, false, 7, big.slice(2048))).code)).toBe("2.04");
    expect(d.host.shadows.get("")?.reported).toEqual({ blob: "y".repeat(3000) });
  });

  it("out-of-sequence, wrong-size, or unknown transfers → 4.08", async () => {
    const d = await started();
    expect(formatCode((await post(d, 1, true, 1, "x".repeat(32))).code)).toBe("4.08");
    await post(d, 0, true, 1, "x".repeat(32));
    expect(formatCode((await post(d, 2, true, 1, "x".repeat(32))).code)).toBe("4.08");
    await post(d, 0, true, 1, "x".repeat(32));
    expect(formatCode((await post(d, 1, true, 1, "x".repeat(5))).code)).toBe("4.08");
  });

  it("a too-large announced (Size1) or accumulated size → 4.13 with Size1", async () => {
    const d = await started({ maxPayload: 64 });
    const announced = await post(d, 0, true, 1, "x".repeat(32), { size1: 1000 });
    expect(formatCode(announced.code)).toBe("4.13");
    expect(uint(announced, Option.SIZE1)).toBe(64);
    await post(d, 0, true, 1, "x".repeat(32));
    await post(d, 1, true, 1, "x".repeat(32));
    expect(formatCode((await post(d, 2, false, 1, "x")).code)).toBe("4.13");
    expect(d.host.calls).not.toContain("shadowUpdate");
  });

  it("Block1 on telemetry reassembles too", async () => {
    const d = await started();
    const opts = (num: number, more: boolean) => [blockOption(Option.BLOCK1, { num, more, szx: 0 })];
    await d.request({ method: Code.POST, path: "/telemetry", contentFormat: 60, payload: new Uint8Array(16).fill(1), options: opts(0, true) });
    const done = await d.request({ method: Code.POST, path: "/telemetry", contentFormat: 60, payload: Uint8Array.of(2), options: opts(1, false) });
    expect(formatCode(done.code)).toBe("2.04");
    expect(d.host.telemetryLog[0].payload).toEqual(Uint8Array.from([...new Array(16).fill(1), 2]));
  });

  it("a hibernation mid-transfer loses the assembly → 4.08", async () => {
    const d = await started();
    await post(d, 0, true, 1, "x".repeat(32));
    d.session = CoapSession.restore(d.host, d.config, d.session.state);
    expect(formatCode((await post(d, 1, false, 1, "x")).code)).toBe("4.08");
  });
});

describe("Block2: responses in blocks (RFC 7959 §2.4)", () => {
  async function bigShadow(d: Driver): Promise<string> {
    const body = JSON.stringify({ state: { reported: { blob: "z".repeat(600) } } });
    await d.request({ method: Code.POST, path: "/shadow", payload: body });
    return body;
  }

  async function fetchAll(d: Driver, first: CoapMessage, path: string): Promise<string> {
    let out = text(first);
    let b = block(first, 23);
    while (b?.more === true) {
      const next = await d.request({ path, options: [blockOption(Option.BLOCK2, { num: b.num + 1, more: false, szx: b.szx })] });
      expect(formatCode(next.code)).toBe("2.05");
      expect(getOption(next, Option.ETAG)).toEqual(getOption(first, Option.ETAG));
      out += text(next);
      b = block(next, 23);
    }
    return out;
  }

  it("splits a response bigger than the peer's Max-Message-Size when it announced Block-Wise-Transfer", async () => {
    const d = await started({}, { maxMessageSize: 256, blockWise: true });
    await bigShadow(d);
    const first = await d.request({ path: "/shadow" });
    expect(encode(first).length).toBeLessThanOrEqual(256);
    expect(block(first, 23)).toEqual({ num: 0, more: true, szx: 3 });
    expect(uint(first, Option.SIZE2)).toBeGreaterThan(600);
    const whole = await fetchAll(d, first, "/shadow");
    expect(JSON.parse(whole)).toMatchObject({ state: { reported: { blob: "z".repeat(600) } }, version: 1 });
  });

  it("honours a Block2 size asked for in the request, even without Block-Wise-Transfer", async () => {
    const d = await started({}, { maxMessageSize: 1152, blockWise: false });
    await bigShadow(d);
    const first = await d.request({ path: "/shadow", options: [blockOption(Option.BLOCK2, { num: 0, more: false, szx: 2 })] });
    expect(block(first, 23)).toEqual({ num: 0, more: true, szx: 2 });
    expect(first.payload.length).toBe(64);
    expect(JSON.parse(await fetchAll(d, first, "/shadow"))).toMatchObject({ version: 1 });
  });

  it("sends whole what fits; refuses with a typed 5.00 what a peer without block-wise cannot receive (RFC 8323 §5.3.1)", async () => {
    const fits = await started();
    await bigShadow(fits);
    expect(has(await fits.request({ path: "/shadow" }), Option.BLOCK2)).toBe(false);
    const noBlocks = await started({}, { maxMessageSize: 1152, blockWise: false });
    await bigShadow(noBlocks);
    expect(has(await noBlocks.request({ path: "/shadow" }), Option.BLOCK2)).toBe(false);
    const small = await started({}, { maxMessageSize: 256, blockWise: false });
    await bigShadow(small);
    const refused = await small.request({ path: "/shadow" });
    expect(formatCode(refused.code)).toBe("5.00");
    expect(encode(refused).length).toBeLessThanOrEqual(256);
    expect(uint(refused, Option.CONTENT_FORMAT)).toBe(50);
    expect(JSON.parse(text(refused))).toMatchObject({ code: 500, message: expect.stringMatching(/Max-Message-Size 256/) });
    expect(uint(refused, Option.SIZE2)).toBeGreaterThan(600);
  });

  it("blocks anything over the block size (default 1 KiB) even for a peer announcing 8 MB (libcoap 4.3.5)", async () => {
    const d = await started({}, { maxMessageSize: 8_388_864, blockWise: true });
    await d.request({ method: Code.POST, path: "/shadow", payload: JSON.stringify({ state: { reported: { blob: "k".repeat(3000) } } }) });
    const first = await d.request({ path: "/shadow" });
    expect(block(first, 23)).toEqual({ num: 0, more: true, szx: 6 });
    expect(first.payload.length).toBe(1024);
    expect(JSON.parse(await fetchAll(d, first, "/shadow"))).toMatchObject({ state: { reported: { blob: "k".repeat(3000) } } });
    const smaller = await started({ blockSize: 256 }, { maxMessageSize: 8_388_864, blockWise: true });
    await bigShadow(smaller);
    expect(block(await smaller.request({ path: "/shadow" }), 23)).toEqual({ num: 0, more: true, szx: 4 });
    expect(() => new Driver({ blockSize: 1000 })).toThrow(RangeError);
  });

  it("a Block1 transfer's final response is cut in the client's block size; errors are never cut", async () => {
    const d = await started({ blockSize: 1024 }, { maxMessageSize: 8_388_864, blockWise: true });
    const body = new TextEncoder().encode(JSON.stringify({ state: { reported: { blob: "u".repeat(200) } } }));
    const opts = (num: number, more: boolean) => [blockOption(Option.BLOCK1, { num, more, szx: 2 })];
    const blocks = Math.ceil(body.length / 64);
    for (let n = 0; n < blocks - 1; n++) await d.request({ method: Code.POST, path: "/shadow", payload: body.slice(n * 64, (n + 1) * 64), options: opts(n, true) });
    const last = await d.request({ method: Code.POST, path: "/shadow", payload: body.slice((blocks - 1) * 64), options: opts(blocks - 1, false) });
    expect(formatCode(last.code)).toBe("2.04");
    expect(block(last, 27)).toEqual({ num: blocks - 1, more: false, szx: 2 });
    expect(block(last, 23)).toEqual({ num: 0, more: true, szx: 2 });
    expect(last.payload.length).toBe(64);
    // a long diagnostic, asked for in 16-byte blocks, still comes whole
    d.host.telemetryResult = { status: 400, message: "m".repeat(300) };
    const refused = await d.request({ method: Code.POST, path: "/telemetry", payload: "{}", options: [blockOption(Option.BLOCK2, { num: 0, more: false, szx: 0 })] });
    expect(formatCode(refused.code)).toBe("4.00");
    expect(has(refused, Option.BLOCK2)).toBe(false);
    expect(JSON.parse(text(refused))).toMatchObject({ code: 400 });
  });

  it("cuts one version, in one format, from one rendering: a second transfer gets the same bytes", async () => {
    const d = await started({}, { maxMessageSize: 256, blockWise: true });
    await bigShadow(d);
    // a host whose answers carry the time of the answer, as the device object's do
    let clock = 100;
    const get = d.host.shadowGet.bind(d.host);
    d.host.shadowGet = async (name) => {
      const r = await get(name);
      return { ...r, body: { ...(r.body as Record<string, unknown>), timestamp: clock++ } };
    };
    const first = await d.request({ path: "/shadow" });
    const again = await d.request({ path: "/shadow" });
    expect(again.payload).toEqual(first.payload);
    expect(JSON.parse(await fetchAll(d, again, "/shadow"))).toMatchObject({ timestamp: 100 });
    await d.request({ method: Code.POST, path: "/shadow", payload: JSON.stringify({ state: { reported: { n: 1 } } }) });
    const changed = await d.request({ path: "/shadow" });
    expect(getOption(changed, Option.ETAG)).not.toEqual(getOption(first, Option.ETAG));
    expect(JSON.parse(await fetchAll(d, changed, "/shadow"))).toMatchObject({ version: 2, timestamp: 102 });
  });

  it("keeps the JSON and CBOR representations apart: interleaved block fetches each stay whole", async () => {
    const d = await started({}, { maxMessageSize: 256, blockWise: true });
    await bigShadow(d);
    const asJson = await d.request({ path: "/shadow" });
    const asCbor = await d.request({ path: "/shadow", accept: 60 });
    expect(getOption(asCbor, Option.ETAG)).not.toEqual(getOption(asJson, Option.ETAG));
    expect(JSON.parse(await fetchAll(d, asJson, "/shadow"))).toMatchObject({ version: 1 });
    let bytes = asCbor.payload;
    let b = block(asCbor, 23);
    while (b?.more === true) {
      const next = await d.request({ path: "/shadow", accept: 60, options: [blockOption(Option.BLOCK2, { num: b.num + 1, more: false, szx: b.szx })] });
      expect(getOption(next, Option.ETAG)).toEqual(getOption(asCbor, Option.ETAG));
      bytes = Uint8Array.from([...bytes, ...next.payload]);
      b = block(next, 23);
    }
    expect(cborDecode(bytes)).toMatchObject({ version: 1 });
  });

  it("a block number past the end → 4.02", async () => {
    const d = await started({}, { maxMessageSize: 256, blockWise: true });
    await bigShadow(d);
    await d.request({ path: "/shadow" });
    const resp = await d.request({ path: "/shadow", options: [blockOption(Option.BLOCK2, { num: 500, more: false, szx: 3 })] });
    expect(formatCode(resp.code)).toBe("4.02");
  });

  it("regenerates a GET whose cut is gone; a POST follow-up without one → 4.08", async () => {
    const d = await started({}, { maxMessageSize: 256, blockWise: true });
    await bigShadow(d);
    const resp = await d.request({ path: "/shadow", options: [blockOption(Option.BLOCK2, { num: 1, more: false, szx: 3 })] });
    expect(block(resp, 23)).toMatchObject({ num: 1, szx: 3 });
    const post = await d.request({ method: Code.POST, path: "/shadow/other", options: [blockOption(Option.BLOCK2, { num: 1, more: false, szx: 3 })] });
    expect(formatCode(post.code)).toBe("4.08");
  });

  it("a big notification goes out as block 0 with Observe; the rest is fetched without it (RFC 7959 §3.4)", async () => {
    const d = await started({}, { maxMessageSize: 200, blockWise: true });
    await d.request({ path: "/shadow/delta", observe: 0, token: [1] });
    const note = decode(d.session.notifyDelta(null, { blob: "q".repeat(500) }).frames[0]);
    expect(uint(note, Option.OBSERVE)).toBe(2);
    expect(block(note, 23)).toMatchObject({ num: 0, more: true });
    const next = await d.request({ path: "/shadow/delta", token: [2], options: [blockOption(Option.BLOCK2, { num: 1, more: false, szx: block(note, 23)?.szx ?? 0 })] });
    expect(has(next, Option.OBSERVE)).toBe(false);
    expect(next.token).toEqual(Uint8Array.of(2));
    let all = text(note) + text(next);
    let b = block(next, 23);
    while (b?.more === true) {
      const more = await d.request({ path: "/shadow/delta", options: [blockOption(Option.BLOCK2, { num: b.num + 1, more: false, szx: b.szx })] });
      all += text(more);
      b = block(more, 23);
    }
    expect(JSON.parse(all)).toEqual({ blob: "q".repeat(500) });
    expect(d.session.state.observers).toHaveLength(1);
  });

  it("notifications keep the block size of the registration and carry an ETag from their bytes", async () => {
    const d = await started({}, { maxMessageSize: 8_388_864, blockWise: true });
    const reg = await d.request({ path: "/shadow/delta", observe: 0, token: [1], options: [blockOption(Option.BLOCK2, { num: 0, more: false, szx: 2 })] });
    expect(getOption(reg, Option.ETAG)).toBeDefined();
    expect(d.session.state.observers[0]).toMatchObject({ szx: 2 });
    const note = decode(d.session.notifyDelta(null, { blob: "q".repeat(500) }).frames[0]);
    expect(block(note, 23)).toEqual({ num: 0, more: true, szx: 2 });
    expect(note.payload.length).toBe(64);
    const same = decode(d.session.notifyDelta(null, { blob: "q".repeat(500) }).frames[0]);
    expect(getOption(same, Option.ETAG)).toEqual(getOption(note, Option.ETAG));
    const other = decode(d.session.notifyDelta(null, {}).frames[0]);
    expect(getOption(other, Option.ETAG)).not.toEqual(getOption(note, Option.ETAG));
    // the registration's size survives hibernation with the rest of the state
    d.session = CoapSession.restore(d.host, d.config, d.session.state);
    expect(block(decode(d.session.notifyDelta(null, { blob: "q".repeat(500) }).frames[0]), 23)).toMatchObject({ szx: 2 });
  });

  it("a notification a peer without block-wise cannot receive is a 5.00 that ends the observation (RFC 7641 §3.2)", async () => {
    const d = await started({}, { maxMessageSize: 300, blockWise: false });
    await d.request({ path: "/shadow/delta", observe: 0, token: [1] });
    const out = d.session.notifyDelta(null, { blob: "q".repeat(2000) });
    const note = decode(out.frames[0]);
    expect(formatCode(note.code)).toBe("5.00");
    expect(out.frames[0].length).toBeLessThanOrEqual(300);
    expect(d.session.state.observers).toEqual([]);
  });
});
