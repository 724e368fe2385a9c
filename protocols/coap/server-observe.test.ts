import { decode as cborDecode } from "cbor-x";
import { describe, expect, it } from "vitest";
import { decode } from "./codec";
import { Code, formatCode } from "./codes";
import { Option, getOption } from "./options";
import { blockOption, decodeBlock } from "./block";
import { CoapSession } from "./server";
import { Driver, has, json, uint } from "./testing/driver";

async function started(config = {}, csm = { maxMessageSize: 1152, blockWise: true }): Promise<Driver> {
  const d = new Driver(config);
  await d.start(csm);
  return d;
}

describe("Observe on /shadow[/<name>]/delta (RFC 7641)", () => {
  it("registers, answers at once with a sequence number, notifies with increasing ones, deregisters", async () => {
    const d = await started();
    d.host.shadows.set("", { desired: { on: true }, reported: {}, version: 1 });
    const first = await d.send(d.message({ path: "/shadow/delta", observe: 0, token: [7, 7] }));
    const reg = first.msgs[0];
    expect(formatCode(reg.code)).toBe("2.05");
    expect(uint(reg, Option.OBSERVE)).toBe(1);
    expect(json(reg)).toEqual({ on: true });
    expect(first.out.stateChanged).toBe(true);
    expect(d.session.state.observers).toEqual([{ token: "0707", resource: "shadow/delta", seq: 1, accept: 50 }]);

    const n1 = d.session.notifyDelta(null, { on: false });
    const n2 = d.session.notifyDelta(null, {});
    expect(n1.stateChanged).toBe(true);
    const [a, b] = [decode(n1.frames[0]), decode(n2.frames[0])];
    expect([a.token, b.token]).toEqual([Uint8Array.of(7, 7), Uint8Array.of(7, 7)]);
    expect([uint(a, Option.OBSERVE), uint(b, Option.OBSERVE)]).toEqual([2, 3]);
    expect([json(a), json(b)]).toEqual([{ on: false }, {}]);
    expect(d.session.notifyDelta("lamp", { x: 1 }).frames).toEqual([]);

    const dereg = await d.request({ path: "/shadow/delta", observe: 1, token: [7, 7] });
    expect(formatCode(dereg.code)).toBe("2.05");
    expect(has(dereg, Option.OBSERVE)).toBe(false);
    expect(d.session.notifyDelta(null, { on: 1 })).toEqual({ frames: [], close: null, stateChanged: false });
  });

  it("keeps named shadows apart and notifies in each observer's Accept format", async () => {
    const d = await started();
    await d.request({ path: "/shadow/lamp/delta", observe: 0, token: [1], accept: 60 });
    await d.request({ path: "/shadow/lamp/delta", observe: 0, token: [2] });
    await d.request({ path: "/shadow/delta", observe: 0, token: [3] });
    const out = d.session.notifyDelta("lamp", { level: 3 }).frames.map(decode);
    expect(out.map((m) => m.token[0])).toEqual([1, 2]);
    expect(uint(out[0], Option.CONTENT_FORMAT)).toBe(60);
    expect(cborDecode(out[0].payload)).toEqual({ level: 3 });
    expect(json(out[1])).toEqual({ level: 3 });
  });

  it("re-registering a token replaces it; a full list answers without Observe", async () => {
    const d = await started({ maxObservers: 2 });
    await d.request({ path: "/shadow/delta", observe: 0, token: [1] });
    const again = await d.request({ path: "/shadow/a/delta", observe: 0, token: [1] });
    expect(uint(again, Option.OBSERVE)).toBe(2);
    expect(d.session.state.observers).toEqual([{ token: "01", resource: "shadow/a/delta", seq: 2, accept: 50 }]);
    await d.request({ path: "/shadow/delta", observe: 0, token: [2] });
    const full = await d.request({ path: "/shadow/delta", observe: 0, token: [3] });
    expect(formatCode(full.code)).toBe("2.05");
    expect(has(full, Option.OBSERVE)).toBe(false);
    expect(d.session.state.observers).toHaveLength(2);
  });

  it("Observe on /shadow (not observable) is answered without Observe", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/shadow", payload: JSON.stringify({ state: { reported: { a: 1 } } }) });
    const resp = await d.request({ path: "/shadow", observe: 0 });
    expect(has(resp, Option.OBSERVE)).toBe(false);
    expect(d.session.state.observers).toEqual([]);
  });

  it("a notification that cannot be encoded ends the observation with 5.00", async () => {
    const d = await started();
    await d.request({ path: "/shadow/delta", observe: 0, token: [9], accept: 60 });
    d.host.failing.add("encodeCbor");
    const out = d.session.notifyDelta(null, { a: 1 }).frames.map(decode);
    expect(formatCode(out[0].code)).toBe("5.00");
    expect(d.session.state.observers).toEqual([]);
  });

  it("the 24-bit sequence wraps (RFC 7641 §4.4)", async () => {
    const d = await started();
    await d.request({ path: "/shadow/delta", observe: 0, token: [1] });
    const saved = d.session.state;
    saved.observers[0].seq = 0xffffff;
    const s = CoapSession.restore(d.host, d.config, JSON.parse(JSON.stringify(saved)));
    expect(uint(decode(s.notifyDelta(null, {}).frames[0]), Option.OBSERVE)).toBe(0);
  });
});

describe("hibernation: serializable state", () => {
  it("survives JSON round trip; a restored session needs no new CSM and keeps observers", async () => {
    const d = await started();
    await d.request({ path: "/shadow/delta", observe: 0, token: [5] });
    const saved: unknown = JSON.parse(JSON.stringify(d.session.state));
    const s = CoapSession.restore(d.host, d.config, saved);
    expect(s.state).toEqual(d.session.state);
    expect(uint(decode(s.notifyDelta(null, { a: 1 }).frames[0]), Option.OBSERVE)).toBe(2);
    d.session = s;
    expect(formatCode((await d.request({ path: "/shadow/delta", auth: null })).code)).toBe("2.05");
  });

  it("stays under 2 KiB (serializeAttachment's limit) with a full observer list", async () => {
    const d = await started();
    for (let i = 0; i < 8; i++) {
      await d.request({ path: `/shadow/${"n".repeat(62)}${i}0/delta`, observe: 0, token: [i, 1, 2, 3, 4, 5, 6, 7] });
    }
    expect(d.session.state.observers).toHaveLength(8);
    expect(JSON.stringify(d.session.state).length).toBeLessThan(2048);
  });

  it("an unreadable attachment starts a fresh session", () => {
    for (const bad of [null, 1, {}, { v: 1, deviceId: "d", authenticated: true, closed: false, peerCsm: null, observers: [{ token: "zz" }] }]) {
      expect(CoapSession.restore(new Driver().host, { deviceId: "x" }, bad).state).toMatchObject({ deviceId: "x", authenticated: false });
    }
  });

  it("close() forgets observers", async () => {
    const d = await started();
    await d.request({ path: "/shadow/delta", observe: 0 });
    d.session.close();
    expect(d.session.state).toMatchObject({ closed: true, observers: [] });
  });
});

describe("a command too large for the client (no block-wise, small Max-Message-Size)", () => {
  it("is not sent and is reported undeliverable; the observation goes on and later commands arrive", async () => {
    const d = await started({}, { maxMessageSize: 1152, blockWise: false });
    await d.request({ path: "/commands", observe: 0, token: [9] });
    const big = d.session.notify("commands", { id: "c-big", name: "firmware", payload: "x".repeat(3000) });
    // Before: a 5.00 went out and ended the observation, and the big command was sent first again at each re-registration.
    expect(big.frames).toEqual([]);
    expect(big.undeliverable).toEqual([{ resource: "commands", id: "c-big", reason: expect.stringMatching(/Max-Message-Size 1152/) }]);
    expect(d.session.state.observers.map((o) => o.resource)).toEqual(["commands"]);
    const small = d.session.notify("commands", { id: "c-small", name: "blink", payload: null });
    expect(small.undeliverable).toBeUndefined();
    expect(json(decode(small.frames[0]!))).toMatchObject({ id: "c-small" });
  });
});

describe("commands larger than a block (RFC 7959 §2.4: one representation at a time)", () => {
  it("wait while an earlier one is fetched in blocks, and each arrives whole, in order", async () => {
    const d = await started({}, { maxMessageSize: 1152, blockWise: true });
    await d.request({ path: "/commands", observe: 0, token: [5] });
    const command = (id: string, size: number) => ({ id, name: "cfg", payload: id.repeat(size) });
    /** Fetches the rest of a notification whose block 0 is `first`; the payload and any frames that came after the last block. */
    const fetchRest = async (first: ReturnType<typeof decode>) => {
      const parts = [first.payload];
      let after: ReturnType<typeof decode>[] = [];
      for (let num = 1; ; num++) {
        const { msgs } = await d.send(d.message({ path: "/commands", options: [blockOption(Option.BLOCK2, { num, more: false, szx: 6 })] }));
        const [block, ...rest] = msgs;
        parts.push(block!.payload);
        if (!decodeBlock(getOption(block!, Option.BLOCK2)!).more) {
          after = rest;
          break;
        }
      }
      return { body: JSON.parse(Buffer.concat(parts).toString()) as { id: string; payload: string }, after };
    };
    const k1 = d.session.notify("commands", command("a", 2500));
    // Before: these replaced k1's representation, and its later blocks came from k2.
    expect(d.session.notify("commands", command("b", 2500)).frames).toEqual([]);
    expect(d.session.notify("commands", command("c", 10)).frames).toEqual([]);
    const first = await fetchRest(decode(k1.frames[0]!));
    expect([first.body.id, first.body.payload.length]).toEqual(["a", 2500]);
    expect(first.after).toHaveLength(1); // k2's block 0, sent with k1's last block
    const second = await fetchRest(first.after[0]!);
    expect([second.body.id, second.body.payload]).toEqual(["b", "b".repeat(2500)]);
    expect(second.after.map((m) => json(m))).toEqual([{ ...command("c", 10) }]);
  });
});

