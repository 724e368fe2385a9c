import { describe, expect, it } from "vitest";
import { decode, encode } from "./codec";
import { Code } from "./codes";
import { SignalOption, emptyOption, fromHex, uintOption } from "./options";
import { CoapSession } from "./server";
import { abortMessage, csmMessage, pingMessage, releaseMessage } from "./signaling";
import { Driver, text, uint } from "./testing/driver";

describe("session signaling (RFC 8323 §5)", () => {
  it("opens with a CSM carrying Max-Message-Size and Block-Wise-Transfer (§5.3)", async () => {
    const d = new Driver();
    const csm = await d.start();
    expect(csm.code).toBe(Code.CSM);
    expect(uint(csm, SignalOption.MAX_MESSAGE_SIZE)).toBe(64 * 1024 + 1024);
    expect(csm.options.some((o) => o.number === SignalOption.BLOCK_WISE_TRANSFER)).toBe(true);
    expect(new Driver({ maxMessageSize: 4096 }).session.open().frames[0]).toEqual(
      encode(csmMessage({ maxMessageSize: 4096, blockWise: true })),
    );
  });

  it("records the peer's CSM in the state", async () => {
    const d = new Driver();
    d.session.open();
    const { out } = await d.send(csmMessage({ maxMessageSize: 2048, blockWise: false }));
    expect(out).toEqual({ frames: [], close: null, stateChanged: true });
    expect(d.session.state.peerCsm).toEqual({ maxMessageSize: 2048, blockWise: false });
    await d.send({ code: Code.CSM, token: new Uint8Array(), options: [emptyOption(SignalOption.BLOCK_WISE_TRANSFER)], payload: new Uint8Array() });
    expect(d.session.state.peerCsm).toEqual({ maxMessageSize: 2048, blockWise: true });
  });

  const firstMessages: [string, Uint8Array][] = [
    ["a request", encode(new Driver().message({ path: "/shadow" }))],
    ["a Ping", encode(pingMessage())],
    ["an empty message", fromHex("0000")],
  ];
  it.each(firstMessages)("aborts when %s comes before the CSM (§5.3.1: CSM must be first)", async (_n, frame) => {
    const d = new Driver();
    d.session.open();
    const { out, msgs } = await d.send(frame);
    expect(msgs.map((m) => m.code)).toEqual([Code.ABORT]);
    expect(text(msgs[0])).toBe("CSM must be first");
    expect(out.close).toEqual({ code: 1002, reason: "CSM must be first" });
    expect(d.session.closed).toBe(true);
  });

  it("aborts with Bad-CSM-Option on an unknown critical CSM option (§5.3)", async () => {
    const d = new Driver();
    const csm = csmMessage({ maxMessageSize: 1152, blockWise: false });
    csm.options.push(emptyOption(9));
    const { out, msgs } = await d.send(csm);
    expect(msgs[0].code).toBe(Code.ABORT);
    expect(uint(msgs[0], SignalOption.BAD_CSM_OPTION)).toBe(9);
    expect(out.close?.code).toBe(1002);
  });

  it("aborts with Bad-CSM-Option 2 on an oversized Max-Message-Size", async () => {
    const { msgs } = await new Driver().send(fromHex("00e1250102030405"));
    expect(msgs[0].code).toBe(Code.ABORT);
    expect(uint(msgs[0], SignalOption.BAD_CSM_OPTION)).toBe(2);
  });

  it("ignores unknown elective CSM options", async () => {
    const d = new Driver();
    const csm = csmMessage({ maxMessageSize: 1152, blockWise: false });
    csm.options.push(emptyOption(10));
    expect((await d.send(csm)).msgs).toEqual([]);
  });

  it("answers Ping with Pong, echoing the token, with Custody: requests are answered in order (§5.4, §5.4.1)", async () => {
    const d = new Driver();
    await d.start();
    const { msgs } = await d.send(pingMessage(Uint8Array.of(1, 2, 3)));
    expect(msgs).toEqual([{ code: Code.PONG, token: Uint8Array.of(1, 2, 3), options: [emptyOption(SignalOption.CUSTODY)], payload: new Uint8Array() }]);
  });

  it("never answers libcoap's empty-token Ping with a 2-byte Pong (libcoap 4.3.5 drops those)", async () => {
    const d = new Driver();
    await d.start();
    const { out } = await d.send(pingMessage());
    expect(out.frames[0].length).toBeGreaterThan(2);
  });

  it("answers Ping with Custody with a Pong with Custody (§5.4.1)", async () => {
    const d = new Driver();
    await d.start();
    const { msgs } = await d.send(pingMessage(new Uint8Array(), true));
    expect(msgs[0].code).toBe(Code.PONG);
    expect(msgs[0].options).toEqual([emptyOption(SignalOption.CUSTODY)]);
  });

  it("aborts on an unknown critical option in a Ping", async () => {
    const d = new Driver();
    await d.start();
    const ping = pingMessage();
    ping.options.push(emptyOption(3));
    const { msgs, out } = await d.send(ping);
    expect(msgs[0].code).toBe(Code.ABORT);
    expect(msgs[0].options).toEqual([]);
    expect(out.close?.code).toBe(1002);
  });

  it.each([
    ["Release (§5.5)", releaseMessage({ holdOff: 5 })],
    ["Abort (§5.6)", abortMessage("bye")],
  ])("closes on %s and ignores everything after", async (_n, msg) => {
    const d = new Driver();
    await d.start();
    await d.request({ path: "/shadow/delta", observe: 0 });
    const { out } = await d.send(msg);
    expect(out.frames).toEqual([]);
    expect(out.close?.code).toBe(1000);
    expect(d.session.state.observers).toEqual([]);
    expect((await d.send(pingMessage())).out.frames).toEqual([]);
    expect(d.session.notifyDelta(null, { a: 1 }).frames).toEqual([]);
  });

  it.each([
    ["TKL 9", "09 01"],
    ["option delta 15", "00 01 f0"],
    ["marker without payload", "00 45 ff"],
    ["Len nibble set", "40 01 00 00 00 00"],
    ["truncated", "02 01 01"],
  ])("answers a malformed frame (%s) with Abort + diagnostic, then close", async (_n, h) => {
    const d = new Driver();
    await d.start();
    const { out, msgs } = await d.send(fromHex(h.replace(/ /g, "")));
    expect(msgs.length).toBe(1);
    expect(msgs[0].code).toBe(Code.ABORT);
    expect(text(msgs[0])).toMatch(/^malformed message: /);
    expect(out.close?.code).toBe(1002);
  });

  it("refuses text frames (§4.2: binary only) with Abort and close 1003", async () => {
    const d = new Driver();
    await d.start();
    const { out, msgs } = await d.send("hello");
    expect(msgs[0].code).toBe(Code.ABORT);
    expect(out.close?.code).toBe(1003);
  });

  it("ignores empty messages, Pongs, responses and reserved codes", async () => {
    const d = new Driver();
    await d.start();
    for (const h of ["0000", "00e3", "0045", "0020", "00e9"]) expect((await d.send(fromHex(h))).out.frames).toEqual([]);
  });

  it("takes ArrayBuffer input", async () => {
    const d = new Driver();
    await d.start();
    const { msgs } = await d.send(encode(pingMessage()));
    expect(msgs[0].code).toBe(Code.PONG);
    const out = await d.session.receive(encode(pingMessage()).slice().buffer);
    expect(decode(out.frames[0]).code).toBe(Code.PONG);
  });

  it("sends Ping and Release on the host's behalf", () => {
    const s = new CoapSession(new Driver().host, { deviceId: "d" });
    expect(decode(s.ping(true).frames[0])).toEqual(decode(encode(pingMessage(new Uint8Array(), true))));
    const r = s.release();
    expect(decode(r.frames[0]).code).toBe(Code.RELEASE);
    expect(r.close).toEqual({ code: 1000, reason: "release" });
    expect(s.release().frames).toEqual([]);
  });

  it("aborts on the host's behalf with a diagnostic (§5.6), e.g. a device disabled or never authenticated", async () => {
    const d = new Driver();
    d.session.open();
    expect(d.session.authenticated).toBe(false);
    await d.send(csmMessage({ maxMessageSize: 1152, blockWise: true }));
    expect(d.session.authenticated).toBe(false);
    await d.request({ path: "/shadow/delta" });
    expect(d.session.authenticated).toBe(true);
    const out = d.session.abort("device disabled");
    const abort = decode(out.frames[0]);
    expect(abort.code).toBe(Code.ABORT);
    expect(text(abort)).toBe("device disabled");
    expect(out.close).toEqual({ code: 1008, reason: "device disabled" });
    expect(d.session.closed).toBe(true);
    expect(d.session.abort("again").frames).toEqual([]);
  });

  it("keeps an Abort's diagnostic within the peer's Max-Message-Size", async () => {
    const d = new Driver();
    await d.start({ maxMessageSize: 40, blockWise: false });
    const out = d.session.abort("é".repeat(100));
    expect(out.frames[0].length).toBeLessThanOrEqual(40);
    expect(text(decode(out.frames[0]))).toMatch(/^é+$/);
  });

  it("a max-size uint option in CSM is fine", async () => {
    const d = new Driver();
    const csm = { code: Code.CSM, token: new Uint8Array(), options: [uintOption(2, 0xffffffff)], payload: new Uint8Array() };
    expect((await d.send(csm)).msgs).toEqual([]);
    expect(d.session.state.peerCsm?.maxMessageSize).toBe(0xffffffff);
  });
});
