import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import { describe, expect, it } from "vitest";
import { Code, formatCode } from "./codes";
import { ContentFormat, Option, emptyOption, encodeUint, etagFromVersion, getOption, stringOption, uintOption } from "./options";
import type { TestRequest } from "./testing/driver";
import { Driver, json, uint } from "./testing/driver";

async function started(config = {}): Promise<Driver> {
  const d = new Driver(config);
  await d.start();
  return d;
}

const update = (state: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ state, ...extra });

describe("authentication (auth=<token> in Uri-Query)", () => {
  it("refuses requests before a valid auth with 4.01", async () => {
    const d = await started();
    expect(formatCode((await d.request({ path: "/shadow", auth: null })).code)).toBe("4.01");
    expect(formatCode((await d.request({ path: "/shadow", auth: "wrong" })).code)).toBe("4.01");
    expect(d.session.state.authenticated).toBe(false);
  });

  it("an address locked out for failed authentications gets 4.29 with Max-Age, not the 4.01 of a bad token", async () => {
    const d = await started();
    d.host.lockedFor = 7;
    const locked = await d.request({ path: "/shadow", auth: "secret" });
    expect([formatCode(locked.code), uint(locked, Option.MAX_AGE)]).toEqual(["4.29", 7]);
    expect(d.session.state.authenticated).toBe(false);
  });

  it("binds the connection on the first valid auth; later requests need none", async () => {
    const d = await started();
    const first = await d.send(d.message({ path: "/shadow/delta" }));
    expect(formatCode(first.msgs[0].code)).toBe("2.05");
    expect(first.out.stateChanged).toBe(true);
    expect(d.session.state).toMatchObject({ authenticated: true, deviceId: "dev-1" });
    expect(formatCode((await d.request({ path: "/shadow/delta", auth: null })).code)).toBe("2.05");
    expect(d.host.calls.filter((c) => c === "authenticate")).toHaveLength(1);
  });

  it("once bound, refuses a request whose auth= is not the bound device's (a NAT's next client, a spoofer) and runs nothing", async () => {
    const d = await started();
    expect(formatCode((await d.request({ path: "/shadow/delta" })).code)).toBe("2.05");
    for (const auth of ["wrong", ""]) {
      const resp = await d.request({ method: Code.POST, path: "/telemetry", auth, payload: JSON.stringify({ t: 1 }), contentFormat: ContentFormat.JSON });
      expect(formatCode(resp.code)).toBe("4.01");
      expect(json(resp)).toMatchObject({ code: 401, message: "not a token of the device this connection is bound to" });
    }
    expect(d.host.calls.filter((c) => c !== "authenticate")).toEqual(["shadowDelta"]);
    expect(d.host.telemetryLog).toHaveLength(0);
    // Its own token (sent on every request, as a UDP client does) still works, and so does none.
    expect(formatCode((await d.request({ path: "/shadow/delta", auth: "secret" })).code)).toBe("2.05");
    expect(formatCode((await d.request({ path: "/shadow/delta", auth: null })).code)).toBe("2.05");
    expect(d.session.state.authenticated).toBe(true);
  });

  it("holds JSON bodies to the host's nesting limit (JSON_MAX_DEPTH), not a fixed 32", async () => {
    const d = await started();
    const nested = (levels: number) => `{"state":{"reported":{"a":${"[".repeat(levels)}${"]".repeat(levels)}}}}`;
    d.host.maxDepth = 8;
    const deep = await d.request({ method: Code.POST, path: "/shadow", payload: nested(6), contentFormat: ContentFormat.JSON });
    expect([formatCode(deep.code), json(deep)]).toEqual(["4.00", expect.objectContaining({ message: expect.stringMatching(/deeper than 8/) })]);
    d.host.maxDepth = 100;
    expect(formatCode((await d.request({ method: Code.POST, path: "/shadow", payload: nested(40), contentFormat: ContentFormat.JSON })).code)).not.toBe("4.00");
  });

  it("refuses a request with two auth= (which would it run as?), in either order, and runs nothing", async () => {
    const d = await started();
    expect(formatCode((await d.request({ path: "/shadow/delta" })).code)).toBe("2.05");
    for (const query of [["auth=other"], ["auth=secret"]]) {
      const resp = await d.request({ method: Code.POST, path: "/telemetry", query, payload: JSON.stringify({ t: 1 }), contentFormat: ContentFormat.JSON });
      expect(formatCode(resp.code)).toBe("4.01");
      expect(json(resp)).toMatchObject({ message: expect.stringMatching(/more than one auth=/) });
    }
    expect(d.host.telemetryLog).toHaveLength(0);
  });
});

describe("request checks", () => {
  const cases: [string, TestRequest, string][] = [
    ["unknown critical option → 4.02 (RFC 7252 §5.4.1)", { path: "/shadow", options: [emptyOption(9)] }, "4.02"],
    ["critical option with a bad length → 4.02 (§5.4.3)", { path: "/shadow", options: [uintOption(Option.ACCEPT, 0x10000)] }, "4.02"],
    ["repeated critical non-repeatable option → 4.02 (§5.4.5)", { path: "/shadow", accept: 50, options: [uintOption(Option.ACCEPT, 50)] }, "4.02"],
    ["Proxy-Uri → 5.05 (§5.7.2)", { path: "/shadow", options: [stringOption(Option.PROXY_URI, "coap://x/")] }, "5.05"],
    ["unknown path → 4.04", { path: "/nope" }, "4.04"],
    ["root path → 4.04", { path: "/" }, "4.04"],
    ["too deep → 4.04", { path: "/shadow/a/delta/x" }, "4.04"],
    ["invalid shadow name → 4.04", { path: "/shadow/bad name" }, "4.04"],
    ["shadow named delta is unreachable → 4.04", { path: "/shadow/delta/delta" }, "4.04"],
    ["PUT /shadow → 4.05", { method: Code.PUT, path: "/shadow", payload: "{}" }, "4.05"],
    ["GET /telemetry → 4.05", { path: "/telemetry" }, "4.05"],
    ["POST /shadow/delta → 4.05", { method: Code.POST, path: "/shadow/delta", payload: "{}" }, "4.05"],
    ["unknown method 0.09 → 4.05 (§5.8)", { method: 9, path: "/shadow" }, "4.05"],
    ["Accept text/plain on a shadow → 4.06 (§5.10.4)", { path: "/shadow", accept: 0 }, "4.06"],
  ];
  it.each(cases)("%s", async (_name, req, code) => {
    const d = await started();
    const resp = await d.request(req);
    expect(formatCode(resp.code)).toBe(code);
    expect(resp.token).toEqual(Uint8Array.of(0x42));
    // every error is typed the same way: JSON {code, message}, Content-Format 50
    expect(uint(resp, Option.CONTENT_FORMAT)).toBe(ContentFormat.JSON);
    expect(json(resp)).toEqual({ code: Number(code.replace(".", "")), message: expect.any(String) });
  });

  it("ignores unknown elective options (§5.4.1)", async () => {
    const d = await started();
    const resp = await d.request({ path: "/shadow/delta", options: [emptyOption(2000), uintOption(Option.NO_RESPONSE, 2)] });
    expect(formatCode(resp.code)).toBe("2.05");
  });

  it("answers a bad Uri-Path encoding with 4.00", async () => {
    const d = await started();
    const resp = await d.request({ path: "/", options: [{ number: Option.URI_PATH, value: Uint8Array.of(0xc3) }] });
    expect(formatCode(resp.code)).toBe("4.00");
  });

  it("echoes empty tokens (libcoap sends them)", async () => {
    const d = await started();
    expect((await d.request({ path: "/shadow/delta", token: [] })).token).toEqual(new Uint8Array());
  });

  it("turns a failing host into 5.00 and keeps serving", async () => {
    const d = await started();
    await d.request({ path: "/shadow/delta" });
    d.host.failing.add("shadowGet");
    const resp = await d.request({ path: "/shadow" });
    expect(formatCode(resp.code)).toBe("5.00");
    expect(json(resp)).toEqual({ code: 500, message: "internal error" });
    d.host.failing.clear();
    expect(formatCode((await d.request({ path: "/shadow" })).code)).toBe("4.04");
  });

  it("answers in arrival order even when receives overlap", async () => {
    const d = await started();
    d.host.delayMs = 5;
    const tokens = [1, 2, 3, 4, 5];
    const outs = await Promise.all(tokens.map((t) => d.send(d.message({ path: "/shadow/delta", token: [t] }))));
    expect(outs.map((o) => o.msgs[0].token[0])).toEqual(tokens);
    // Each carries auth=, checked against the bound device every time.
    expect(d.host.calls).toEqual(tokens.flatMap(() => ["authenticate", "shadowDelta"]));
  });
});

describe("shadow resources", () => {
  it("GET of a missing shadow → 4.04 with the AWS error body", async () => {
    const d = await started();
    const resp = await d.request({ path: "/shadow" });
    expect(formatCode(resp.code)).toBe("4.04");
    expect(uint(resp, Option.CONTENT_FORMAT)).toBe(50);
    expect(json(resp)).toMatchObject({ code: 404 });
  });

  it("POST updates (2.04 + ETag), GET reads (2.05 + ETag), in JSON or CBOR", async () => {
    const d = await started();
    const up = await d.request({ method: Code.POST, path: "/shadow", contentFormat: 50, payload: update({ reported: { on: true } }, { clientToken: "c1" }) });
    expect(formatCode(up.code)).toBe("2.04");
    expect(json(up)).toMatchObject({ version: 1, clientToken: "c1" });
    expect(getOption(up, Option.ETAG)).toEqual(etagFromVersion(1));
    const get = await d.request({ path: "/shadow" });
    expect(formatCode(get.code)).toBe("2.05");
    expect(getOption(get, Option.ETAG)).toEqual(Uint8Array.of(1));
    expect(json(get)).toMatchObject({ state: { reported: { on: true } }, version: 1 });
    const cbor = await d.request({ path: "/shadow", accept: 60 });
    expect(uint(cbor, Option.CONTENT_FORMAT)).toBe(60);
    expect(cborDecode(cbor.payload)).toMatchObject({ version: 1 });
  });

  it("accepts a CBOR update body and absent Content-Format as JSON", async () => {
    const d = await started();
    const a = await d.request({ method: Code.POST, path: "/shadow/lamp", contentFormat: 60, payload: cborEncode({ state: { desired: { x: 1 } } }) });
    expect(formatCode(a.code)).toBe("2.04");
    const b = await d.request({ method: Code.POST, path: "/shadow/lamp", payload: update({ reported: { x: 1 } }) });
    expect(json(b)).toMatchObject({ version: 2 });
    expect(d.host.shadows.has("lamp")).toBe(true);
    expect(d.host.shadows.has("")).toBe(false);
  });

  const badUpdates: [string, TestRequest, string, number][] = [
    ["invalid JSON → 4.00", { method: Code.POST, path: "/shadow", contentFormat: 50, payload: "{nope" }, "4.00", 400],
    ["invalid UTF-8 → 4.00", { method: Code.POST, path: "/shadow", contentFormat: 50, payload: Uint8Array.of(0xff) }, "4.00", 400],
    ["invalid CBOR → 4.00", { method: Code.POST, path: "/shadow", contentFormat: 60, payload: Uint8Array.of(0x1f) }, "4.00", 400],
    ["empty body → 4.00", { method: Code.POST, path: "/shadow", contentFormat: 50 }, "4.00", 400],
    ["host 400 (no state) → 4.00", { method: Code.POST, path: "/shadow", payload: "{}" }, "4.00", 400],
    ["text/plain → 4.15", { method: Code.POST, path: "/shadow", contentFormat: 0, payload: "x" }, "4.15", 415],
    ["stale version → 4.09", { method: Code.POST, path: "/shadow", payload: update({ reported: {} }, { version: 7 }) }, "4.09", 409],
  ];
  it.each(badUpdates)("%s with an AWS-style body", async (_n, req, code, status) => {
    const d = await started();
    const resp = await d.request(req);
    expect(formatCode(resp.code)).toBe(code);
    expect(uint(resp, Option.CONTENT_FORMAT)).toBe(ContentFormat.JSON);
    expect(json(resp)).toMatchObject({ code: status, message: expect.any(String) });
  });

  it("errors stay JSON when the request asked for CBOR", async () => {
    const d = await started();
    const resp = await d.request({ path: "/shadow", accept: 60 });
    expect(formatCode(resp.code)).toBe("4.04");
    expect(uint(resp, Option.CONTENT_FORMAT)).toBe(ContentFormat.JSON);
    expect(json(resp)).toMatchObject({ code: 404 });
  });

  it("GET with the current ETag → 2.03 Valid (RFC 7252 §5.10.6.2)", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }) });
    const valid = await d.request({ path: "/shadow", options: [{ number: Option.ETAG, value: etagFromVersion(1) }] });
    expect(formatCode(valid.code)).toBe("2.03");
    expect(valid.payload.length).toBe(0);
    const stale = await d.request({ path: "/shadow", options: [{ number: Option.ETAG, value: etagFromVersion(0) }] });
    expect(formatCode(stale.code)).toBe("2.05");
  });

  it("If-Match: matching ETag → 2.04, mismatch → 4.12, missing shadow → 4.12 (RFC 7252 §5.10.8.1)", async () => {
    const d = await started();
    const ifMatch = (v: Uint8Array) => [{ number: Option.IF_MATCH, value: v }];
    const post = (v: Uint8Array) => d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 2 } }), options: ifMatch(v) });
    expect(formatCode((await post(new Uint8Array())).code)).toBe("4.12");
    await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }) });
    expect(formatCode((await post(etagFromVersion(9))).code)).toBe("4.12");
    const ok = await post(etagFromVersion(1));
    expect(formatCode(ok.code)).toBe("2.04");
    expect(getOption(ok, Option.ETAG)).toEqual(encodeUint(2));
    expect(formatCode((await post(new Uint8Array())).code)).toBe("2.04"); // empty If-Match: "exists"
  });

  it("If-Match pins the version so a concurrent write → 4.12, not a lost update", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }) });
    d.host.beforeUpdate = () => {
      d.host.beforeUpdate = undefined;
      const s = d.host.shadows.get("");
      if (s !== undefined) s.version = 5;
    };
    const resp = await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 2 } }), options: [{ number: Option.IF_MATCH, value: etagFromVersion(1) }] });
    expect(formatCode(resp.code)).toBe("4.12");
  });

  it("DELETE honours If-Match", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }) });
    const del = (v: Uint8Array) => d.request({ method: Code.DELETE, path: "/shadow", options: [{ number: Option.IF_MATCH, value: v }] });
    expect(formatCode((await del(etagFromVersion(3))).code)).toBe("4.12");
    expect(formatCode((await del(etagFromVersion(1))).code)).toBe("2.02");
  });

  it("If-None-Match on an existing shadow → 4.12", async () => {
    const d = await started();
    const req: TestRequest = { method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }), options: [emptyOption(Option.IF_NONE_MATCH)] };
    expect(formatCode((await d.request(req)).code)).toBe("2.04");
    expect(formatCode((await d.request(req)).code)).toBe("4.12");
  });

  it("preconditions hold as the write runs: a concurrent writer between check and write → 4.12, not a lost update", async () => {
    const d = await started();
    const sneak = (change: () => void) => {
      d.host.beforeUpdate = () => {
        d.host.beforeUpdate = undefined;
        change();
      };
    };
    // If-None-Match: another creator gets there first.
    sneak(() => d.host.shadows.set("", { desired: {}, reported: { other: 1 }, version: 1 }));
    const create = await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }), options: [emptyOption(Option.IF_NONE_MATCH)] });
    expect(formatCode(create.code)).toBe("4.12");
    expect(d.host.shadows.get("")?.reported).toEqual({ other: 1 });
    // Empty If-Match ("exists"): the shadow is deleted in between.
    sneak(() => d.host.shadows.delete(""));
    const exists = await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 2 } }), options: [{ number: Option.IF_MATCH, value: new Uint8Array() }] });
    expect(formatCode(exists.code)).toBe("4.12");
    expect(d.host.shadows.has("")).toBe(false);
    // DELETE with If-Match: a write in between moves the version on.
    await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 3 } }) });
    sneak(() => {
      const s = d.host.shadows.get("");
      if (s !== undefined) s.version += 1;
    });
    const del = await d.request({ method: Code.DELETE, path: "/shadow", options: [{ number: Option.IF_MATCH, value: etagFromVersion(1) }] });
    expect(formatCode(del.code)).toBe("4.12");
    expect(d.host.shadows.has("")).toBe(true);
  });

  it("DELETE → 2.02 Deleted, then 4.04", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/shadow/lamp", payload: update({ reported: { a: 1 } }) });
    const del = await d.request({ method: Code.DELETE, path: "/shadow/lamp" });
    expect(formatCode(del.code)).toBe("2.02");
    expect(json(del)).toMatchObject({ version: 1 });
    expect(formatCode((await d.request({ method: Code.DELETE, path: "/shadow/lamp" })).code)).toBe("4.04");
  });

  it("a failing CBOR encoder costs the request only (5.00)", async () => {
    const d = await started();
    d.host.failing.add("encodeCbor");
    expect(formatCode((await d.request({ path: "/shadow/delta", accept: 60 })).code)).toBe("5.00");
  });
});

describe("telemetry", () => {
  it.each([50, 60, 110, 112])("POST /telemetry in format %i → 2.04 {accepted}", async (format) => {
    const d = await started();
    const resp = await d.request({ method: Code.POST, path: "/telemetry", contentFormat: format, payload: Uint8Array.of(1, 2) });
    expect(formatCode(resp.code)).toBe("2.04");
    expect(uint(resp, Option.CONTENT_FORMAT)).toBe(ContentFormat.JSON);
    expect(json(resp)).toEqual({ accepted: 1 });
    expect(d.host.telemetryLog).toEqual([{ format, payload: Uint8Array.of(1, 2) }]);
  });

  it("honours Accept (RFC 7252 §5.10.4): 60 answers CBOR, another format 4.06 before anything is stored", async () => {
    const d = await started();
    const cbor = await d.request({ method: Code.POST, path: "/telemetry", accept: 60, payload: "{}" });
    expect([formatCode(cbor.code), uint(cbor, Option.CONTENT_FORMAT)]).toEqual(["2.04", ContentFormat.CBOR]);
    expect(cborDecode(cbor.payload)).toEqual({ accepted: 1 });
    for (const accept of [0, 42, 110]) {
      expect(formatCode((await d.request({ method: Code.POST, path: "/telemetry", accept, payload: "{}" })).code), `accept ${accept}`).toBe("4.06");
      expect(formatCode((await d.request({ method: Code.POST, path: "/commands/c1", accept, payload: '{"status":"completed"}' })).code), `accept ${accept}`).toBe("4.06");
    }
    expect(d.host.telemetryLog).toHaveLength(1);
  });

  it("over the device's message rate → 4.29 with Max-Age, and nothing runs (RFC 8516)", async () => {
    const d = await started();
    d.host.admitWait = 1_500;
    const over = await d.request({ method: Code.POST, path: "/telemetry", payload: "{}" });
    expect([formatCode(over.code), uint(over, Option.MAX_AGE)]).toEqual(["4.29", 2]);
    expect(formatCode((await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }) })).code)).toBe("4.29");
    expect([d.host.telemetryLog.length, d.host.shadows.size]).toEqual([0, 0]);
    // Not counted, as over JSON: answering the hub's own command or method call.
    expect(formatCode((await d.request({ method: Code.POST, path: "/commands/c1", payload: '{"status":"completed"}' })).code)).not.toBe("4.29");
    d.host.admitWait = 0;
    expect(formatCode((await d.request({ method: Code.POST, path: "/telemetry", payload: "{}" })).code)).toBe("2.04");
  });

  it("never answers libcoap's empty token with a bare 2-byte message (libcoap 4.3.5 drops those)", async () => {
    const d = await started();
    const { out } = await d.send(d.message({ method: Code.POST, path: "/telemetry", payload: "{}", token: [] }));
    expect(out.frames[0].length).toBeGreaterThan(2);
  });

  it("absent Content-Format is JSON; others → 4.15", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/telemetry", payload: "{}" });
    expect(d.host.telemetryLog[0].format).toBe(ContentFormat.JSON);
    for (const f of [0, 40, 111, 0xffff]) {
      expect(formatCode((await d.request({ method: Code.POST, path: "/telemetry", contentFormat: f, payload: "x" })).code)).toBe("4.15");
    }
  });

  it("maps a host refusal to its code with a typed diagnostic payload", async () => {
    const d = await started();
    d.host.telemetryResult = { status: 400, message: "invalid SenML" };
    const resp = await d.request({ method: Code.POST, path: "/telemetry", contentFormat: 110, payload: "[]" });
    expect(formatCode(resp.code)).toBe("4.00");
    expect(json(resp)).toEqual({ code: 400, message: "invalid SenML" });
    expect(uint(resp, Option.CONTENT_FORMAT)).toBe(ContentFormat.JSON);
    d.host.telemetryResult = { status: 429 };
    expect(formatCode((await d.request({ method: Code.POST, path: "/telemetry", payload: "{}" })).code)).toBe("4.29");
  });

  it("payload above the maximum → 4.13 with Size1 (RFC 7959 §2.9.3)", async () => {
    const d = await started({ maxPayload: 100 });
    const resp = await d.request({ method: Code.POST, path: "/telemetry", payload: new Uint8Array(101) });
    expect(formatCode(resp.code)).toBe("4.13");
    expect(uint(resp, Option.SIZE1)).toBe(100);
    const shadow = await d.request({ method: Code.POST, path: "/shadow", payload: "x".repeat(101) });
    expect(formatCode(shadow.code)).toBe("4.13");
    expect(json(shadow)).toMatchObject({ code: 413 });
    const announced = await d.request({ method: Code.POST, path: "/telemetry", payload: "{}", options: [uintOption(Option.SIZE1, 5000)] });
    expect(formatCode(announced.code)).toBe("4.13");
    expect(d.host.telemetryLog).toEqual([]);
  });
});
