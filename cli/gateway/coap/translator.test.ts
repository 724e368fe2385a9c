/** One UDP peer's session through the gateway, driven with datagrams, hub frames and a clock. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { CoapMessage, CoapOption } from "../../../protocols/coap";
import {
  Code,
  Option,
  SignalOption,
  abortMessage,
  csmMessage,
  decode,
  encode,
  encodeString,
  formatCode,
  getUintOption,
  pingMessage,
  releaseMessage,
  stringOption,
  uintOption,
} from "../../../protocols/coap";
import type { Datagram } from "./datagram";
import { emptyMessage, parseDatagram, serializeDatagram } from "./datagram";
import type { Action } from "./translator";
import { DEFAULT_TRANSLATOR } from "./config";
import { Translator } from "./translator";

const T0 = 1_000_000;
const config = { ...DEFAULT_TRANSLATOR, random: () => 0 };
const path = (...segments: string[]): CoapOption[] => segments.map((s) => stringOption(Option.URI_PATH, s));
const observe = (n: number): CoapOption => ({ number: Option.OBSERVE, value: n === 0 ? new Uint8Array() : Uint8Array.of(n) });

/** The device token every request over UDP carries (`auth=`), unless the options hold a Uri-Query already. */
const AUTH = stringOption(Option.URI_QUERY, "auth=k");
const withAuth = (options: CoapOption[]): CoapOption[] => (options.some((o) => o.number === Option.URI_QUERY) ? options : [...options, AUTH]);

function datagram(type: Datagram["type"], messageId: number, token: number[], options: CoapOption[] = path("shadow"), code: number = Code.GET, payload = new Uint8Array()): Uint8Array {
  return serializeDatagram({ type, code, messageId, token: Uint8Array.from(token), options: code === Code.EMPTY || code >= 0x40 ? options : withAuth(options), payload });
}
const udp = (actions: Action[]): Datagram[] =>
  actions.flatMap((a) => {
    if (a.kind !== "udp") return [];
    const r = parseDatagram(a.bytes);
    if (!r.ok) throw new Error(`the translator wrote a malformed datagram: ${r.reason}`);
    return [r.msg];
  });
const hub = (actions: Action[]): CoapMessage[] => actions.flatMap((a) => (a.kind === "hub" ? [decode(a.frame)] : []));
const kinds = (actions: Action[]) => actions.map((a) => a.kind);
const response = (token: Uint8Array, code: number = Code.CONTENT, options: CoapOption[] = [], payload = "{}"): Uint8Array => encode({ code, token, options, payload: encodeString(payload) });
const text = (m: { payload: Uint8Array }) => new TextDecoder().decode(m.payload);

/** A translator with a connected hub that has sent its CSM, and the hub token of the request that connected it. */
function connected(type: "CON" | "NON" = "CON", options = path("shadow"), token = [0xaa]) {
  const t = new Translator(config, T0);
  const first = t.fromPeer(datagram(type, 100, token, options), T0);
  t.fromHub(encode(csmMessage({ maxMessageSize: 2000, blockWise: true })), T0);
  return { t, first, request: hub(first)[1] };
}

describe("requests and responses (RFC 7252 §5.2)", () => {
  it("answers a request without auth= with 4.01 and sends nothing to the hub: over UDP an address is no credential", () => {
    const { t } = connected();
    const out = t.fromPeer(serializeDatagram({ type: "CON", code: Code.POST, messageId: 7, token: Uint8Array.of(9), options: [...path("telemetry"), stringOption(Option.URI_QUERY, "x=auth=k")], payload: new Uint8Array() }), T0 + 1);
    expect(hub(out)).toEqual([]);
    const [ack] = udp(out);
    expect([ack?.type, formatCode(ack?.code ?? 0), text(ack!)]).toEqual(["ACK", "4.01", expect.stringMatching(/auth=<device token> is required/)]);
  });

  it("opens the hub with a CSM, re-tokens the request and drops the UDP hop's options", () => {
    const { first, request } = connected("CON", [stringOption(Option.URI_HOST, "gw"), uintOption(Option.URI_PORT, 5683), ...path("shadow"), stringOption(Option.URI_QUERY, "auth=k"), uintOption(Option.NO_RESPONSE, 0)]);
    expect(kinds(first)).toEqual(["connect", "hub", "hub"]);
    const csm = hub(first)[0];
    expect(formatCode(csm.code)).toBe("7.01");
    expect(getUintOption(csm, SignalOption.MAX_MESSAGE_SIZE)).toBe(1152);
    expect(csm.options.some((o) => o.number === SignalOption.BLOCK_WISE_TRANSFER)).toBe(true);
    expect(request.token).toHaveLength(4);
    expect(request.options.map((o) => o.number)).toEqual([Option.URI_PATH, Option.URI_QUERY]);
  });

  it("piggybacks the hub's answer on the ACK, with the peer's token, and replays it to a duplicate", () => {
    const { t, request } = connected();
    const out = t.fromHub(response(request.token, Code.CONTENT, [uintOption(Option.CONTENT_FORMAT, 50), { number: Option.ETAG, value: Uint8Array.of(7) }]), T0 + 5);
    const [ack] = udp(out);
    expect(ack).toMatchObject({ type: "ACK", messageId: 100, code: Code.CONTENT, token: Uint8Array.of(0xaa) });
    expect(ack.options.map((o) => o.number)).toEqual([Option.ETAG, Option.CONTENT_FORMAT]);
    const again = t.fromPeer(datagram("CON", 100, [0xaa]), T0 + 2000);
    expect(again).toEqual(out);
    expect(hub(again)).toEqual([]);
  });

  it("acknowledges a slow request empty, then sends the answer as CON and retransmits it until ACKed (§5.2.2, §4.2)", () => {
    const { t, request } = connected();
    expect(t.nextDeadline()).toBe(T0 + config.piggybackMs);
    expect(udp(t.tick(T0 + config.piggybackMs))).toEqual([emptyMessage("ACK", 100)]);
    const [sep] = udp(t.fromHub(response(request.token), T0 + 1500));
    expect(sep).toMatchObject({ type: "CON", code: Code.CONTENT, token: Uint8Array.of(0xaa) });
    expect(sep.messageId).not.toBe(100);
    const first = T0 + 1500 + config.timing.ackTimeoutMs;
    expect(t.nextDeadline()).toBe(first);
    const resent = t.tick(first);
    expect(resent).toMatchObject([{ kind: "udp", retransmission: true }]);
    expect(udp(resent)[0]).toEqual(sep);
    expect(udp(t.fromPeer(serializeDatagram(emptyMessage("ACK", sep.messageId)), first + 1))).toEqual([]);
    expect(udp(t.tick(first + 60_000))).toEqual([]);
  });

  it("answers a duplicate of a request still at the hub with an Empty ACK (§4.5)", () => {
    const { t } = connected();
    expect(udp(t.fromPeer(datagram("CON", 100, [0xaa]), T0 + 10))).toEqual([emptyMessage("ACK", 100)]);
  });

  it("answers NON with NON and ignores its duplicates (§5.2.3)", () => {
    const { t, request } = connected("NON");
    expect(t.fromPeer(datagram("NON", 100, [0xaa]), T0 + 1)).toEqual([]);
    const [res] = udp(t.fromHub(response(request.token), T0 + 2));
    expect(res).toMatchObject({ type: "NON", code: Code.CONTENT, token: Uint8Array.of(0xaa) });
  });

  it("keeps Block-wise options both ways, so the hub runs the transfer (RFC 7959)", () => {
    const block2 = { number: Option.BLOCK2, value: Uint8Array.of(0x16) };
    const { t, request } = connected("CON", [...path("shadow"), block2]);
    expect(request.options).toContainEqual(block2);
    const [ack] = udp(t.fromHub(response(request.token, Code.CONTENT, [{ number: Option.BLOCK2, value: Uint8Array.of(0x1e) }, uintOption(Option.SIZE2, 3000)]), T0 + 1));
    expect(ack.options).toEqual([{ number: Option.BLOCK2, value: Uint8Array.of(0x1e) }, uintOption(Option.SIZE2, 3000)]);
  });

  it.each([
    ["Block2 on a GET", Option.BLOCK2, Code.GET, Uint8Array.of(0x07)],
    ["Block1 on a POST", Option.BLOCK1, Code.POST, Uint8Array.of(0x0f)],
    ["a two-byte Block2", Option.BLOCK2, Code.GET, Uint8Array.of(0x01, 0x07)],
  ])("answers SZX 7 (reserved over UDP, BERT on the hub's side) with 4.00 and sends nothing to the hub: %s (RFC 7959 §2.2)", (_name, option, code, value) => {
    const { t } = connected();
    const actions = t.fromPeer(datagram("CON", 101, [1], [...path("shadow"), { number: option, value }], code), T0 + 1);
    expect(hub(actions)).toEqual([]);
    const [res] = udp(actions);
    expect(res).toMatchObject({ type: "ACK", messageId: 101 });
    expect(formatCode(res.code)).toBe("4.00");
  });

  it("answers 5.04 when the hub does not answer in time, and forgets the late answer", () => {
    const { t, request } = connected();
    t.tick(T0 + config.piggybackMs);
    const [late] = udp(t.tick(T0 + config.hubTimeoutMs));
    expect(formatCode(late.code)).toBe("5.04");
    expect(late.type).toBe("CON");
    expect(udp(t.fromHub(response(request.token), T0 + config.hubTimeoutMs + 1))).toEqual([]);
  });

  it("refuses a request larger than the hub's Max-Message-Size with 4.13 and Size1", () => {
    const { t } = connected();
    const [res] = udp(t.fromPeer(datagram("CON", 101, [1], path("telemetry"), Code.POST, new Uint8Array(3000)), T0 + 1));
    expect(res).toMatchObject({ type: "ACK", messageId: 101 });
    expect(formatCode(res.code)).toBe("4.13");
    expect(getUintOption(res, Option.SIZE1)).toBeLessThan(2000);
  });

  it("answers 4.29 beyond maxExchanges requests in flight (RFC 8516)", () => {
    const t = new Translator({ ...config, maxExchanges: 2 }, T0);
    t.fromPeer(datagram("NON", 1, [1]), T0);
    t.fromPeer(datagram("NON", 2, [2]), T0);
    const out = t.fromPeer(datagram("CON", 3, [3]), T0);
    expect(hub(out)).toEqual([]);
    const [res] = udp(out);
    expect(res).toMatchObject({ type: "ACK", messageId: 3, token: Uint8Array.of(3) });
    expect(formatCode(res.code)).toBe("4.29");
  });

  it("applies No-Response on the UDP hop (RFC 7967): an Empty ACK for CON, nothing for NON", () => {
    const quiet = [...path("telemetry"), uintOption(Option.NO_RESPONSE, 2)];
    const con = connected("CON", quiet);
    expect(udp(con.t.fromHub(response(con.request.token, Code.CHANGED), T0 + 1))).toEqual([emptyMessage("ACK", 100)]);
    const non = connected("NON", quiet);
    expect(non.t.fromHub(response(non.request.token, Code.CHANGED), T0 + 1)).toEqual([]);
    const failing = connected("NON", quiet);
    expect(formatCode(udp(failing.t.fromHub(response(failing.request.token, Code.BAD_REQUEST), T0 + 1))[0].code)).toBe("4.00");
  });
});

describe("what the message layer rejects (RFC 7252 §4.2–§4.3)", () => {
  const t = new Translator(config, T0);
  const cases: [string, Uint8Array, Datagram[]][] = [
    ["an Empty CON (CoAP ping) gets RST", serializeDatagram(emptyMessage("CON", 5)), [emptyMessage("RST", 5)]],
    ["a CON with a signaling code (7.02) gets RST", datagram("CON", 6, [], [], Code.PING), [emptyMessage("RST", 6)]],
    ["a CON response (we sent no request) gets RST", datagram("CON", 7, [1], [], Code.CONTENT), [emptyMessage("RST", 7)]],
    ["a malformed CON gets RST", Uint8Array.of(0x40, 0x01, 0x00, 0x08, 0xff), [emptyMessage("RST", 8)]],
    ["a malformed NON is ignored", Uint8Array.of(0x50, 0x01, 0x00, 0x09, 0xff), []],
    ["a NON with a reserved code is ignored", datagram("NON", 10, [], [], Code.CSM), []],
    ["an unknown version is ignored", Uint8Array.of(0x80, 0x01, 0x00, 0x0b), []],
    ["an ACK for nothing is ignored", serializeDatagram(emptyMessage("ACK", 12)), []],
  ];
  it.each(cases)("%s", (_name, bytes, expected) => {
    const out = t.fromPeer(bytes, T0);
    expect(udp(out)).toEqual(expected);
    expect(hub(out)).toEqual([]);
  });
});

describe("Observe (RFC 7641)", () => {
  const register = (type: "CON" | "NON") => {
    const c = connected(type, [observe(0), ...path("shadow", "delta")]);
    const [ok] = udp(c.t.fromHub(response(c.request.token, Code.CONTENT, [observe(5)]), T0 + 1));
    expect(getUintOption(ok, Option.OBSERVE)).toBe(5);
    return c;
  };

  it("relays notifications as CON for a CON registration, one in flight, the newest queued (§4.5)", () => {
    const { t, request } = register("CON");
    const [n1] = udp(t.fromHub(response(request.token, Code.CONTENT, [observe(6)], '{"a":1}'), T0 + 10));
    expect(n1).toMatchObject({ type: "CON", token: Uint8Array.of(0xaa) });
    expect(t.fromHub(response(request.token, Code.CONTENT, [observe(7)], '{"a":2}'), T0 + 11)).toEqual([]);
    expect(t.fromHub(response(request.token, Code.CONTENT, [observe(8)], '{"a":3}'), T0 + 12)).toEqual([]);
    const [n3] = udp(t.fromPeer(serializeDatagram(emptyMessage("ACK", n1.messageId)), T0 + 20));
    expect(text(n3)).toBe('{"a":3}');
    expect(getUintOption(n3, Option.OBSERVE)).toBe(8);
  });

  it.each(["commands", "methods"])("relays every notification of /%s to a CON observer, in order: each is a command or call, not a state to supersede", (resource) => {
    // found by an outside run with libcoap: 2 of 5 queued commands arrived, the rest stayed "delivered"
    const c = connected("CON", [observe(0), ...path(resource)]);
    udp(c.t.fromHub(response(c.request.token, Code.CONTENT, [observe(5)]), T0 + 1));
    const [n1] = udp(c.t.fromHub(response(c.request.token, Code.CONTENT, [observe(6)], '{"id":"c1"}'), T0 + 10));
    expect(c.t.fromHub(response(c.request.token, Code.CONTENT, [observe(7)], '{"id":"c2"}'), T0 + 11)).toEqual([]);
    expect(c.t.fromHub(response(c.request.token, Code.CONTENT, [observe(8)], '{"id":"c3"}'), T0 + 12)).toEqual([]);
    const [n2] = udp(c.t.fromPeer(serializeDatagram(emptyMessage("ACK", n1!.messageId)), T0 + 20));
    expect(text(n2!)).toBe('{"id":"c2"}');
    const [n3] = udp(c.t.fromPeer(serializeDatagram(emptyMessage("ACK", n2!.messageId)), T0 + 21));
    expect(text(n3!)).toBe('{"id":"c3"}');
    expect(udp(c.t.fromPeer(serializeDatagram(emptyMessage("ACK", n3!.messageId)), T0 + 22))).toEqual([]);
  });

  it("relays notifications as NON for a NON registration; a RST to one deregisters at the hub (§3.6)", () => {
    const { t, request } = register("NON");
    const [n] = udp(t.fromHub(response(request.token, Code.CONTENT, [observe(6)]), T0 + 10));
    expect(n.type).toBe("NON");
    const [dereg] = hub(t.fromPeer(serializeDatagram(emptyMessage("RST", n.messageId)), T0 + 11));
    expect(dereg.token).toEqual(request.token);
    expect(getUintOption(dereg, Option.OBSERVE)).toBe(1);
    expect(dereg.options.filter((o) => o.number === Option.URI_PATH)).toEqual(path("shadow", "delta"));
    expect(t.fromHub(response(request.token, Code.CONTENT), T0 + 12)).toEqual([]); // the hub's answer to our GET
    expect(t.fromHub(response(request.token, Code.CONTENT, [observe(7)]), T0 + 13)).toEqual([]);
  });

  it("deregisters a peer that never acknowledges, after MAX_RETRANSMIT (§4.5)", () => {
    const { t, request } = register("CON");
    udp(t.fromHub(response(request.token, Code.CONTENT, [observe(6)]), T0 + 10));
    let now = T0 + 10;
    let resent = 0;
    let dereg: CoapMessage[] = [];
    while (dereg.length === 0 && now < T0 + 200_000) {
      now = t.nextDeadline() ?? now;
      const out = t.tick(now);
      resent += out.filter((a) => a.kind === "udp").length;
      dereg = hub(out).filter((m) => m.code === Code.GET);
    }
    expect(resent).toBe(config.timing.maxRetransmit);
    expect(dereg.map((m) => getUintOption(m, Option.OBSERVE))).toEqual([1]);
    expect(t.fromHub(response(request.token, Code.CONTENT, [observe(8)]), now + 1)).toEqual([]);
  });

  it("passes the peer's own deregistration (same token, Observe 1) under the same hub token", () => {
    const { t, request } = register("CON");
    const [dereg] = hub(t.fromPeer(datagram("CON", 101, [0xaa], [observe(1), ...path("shadow", "delta")]), T0 + 5));
    expect(dereg.token).toEqual(request.token);
    expect(udp(t.fromHub(response(request.token), T0 + 6))[0]).toMatchObject({ type: "ACK", messageId: 101 });
    expect(t.fromHub(response(request.token, Code.CONTENT, [observe(9)]), T0 + 7)).toEqual([]);
  });

  it("ends an observation on a non-2.xx notification (§3.2)", () => {
    const { t, request } = register("NON");
    expect(formatCode(udp(t.fromHub(response(request.token, Code.INTERNAL_SERVER_ERROR), T0 + 5))[0].code)).toBe("5.00");
    expect(t.fromHub(response(request.token, Code.CONTENT, [observe(9)]), T0 + 6)).toEqual([]);
  });

  it("sends a NON observer that has been quiet past the idle time a CON, to learn whether it is still there", () => {
    const { t, request } = register("NON");
    const [n] = udp(t.fromHub(response(request.token, Code.CONTENT, [observe(6)]), T0 + config.idleMs + 1));
    expect(n.type).toBe("CON");
  });
});

describe("the hub's signaling (RFC 8323 §5)", () => {
  it("pings a quiet hub connection, and not a busy one", () => {
    const { t, request } = connected();
    t.fromHub(response(request.token), T0 + 1);
    expect(t.nextDeadline()).toBe(T0 + 1 + config.keepaliveMs);
    expect(hub(t.tick(T0 + config.keepaliveMs - 1))).toEqual([]);
    const [ping] = hub(t.tick(T0 + 1 + config.keepaliveMs));
    expect(formatCode(ping.code)).toBe("7.02");
    expect(t.nextDeadline()).toBe(T0 + 1 + 2 * config.keepaliveMs);
  });

  it("answers Ping with Pong, echoing token and Custody", () => {
    const { t } = connected();
    const [pong] = hub(t.fromHub(encode(pingMessage(Uint8Array.of(3), true)), T0 + 1));
    expect(pong).toEqual({ code: Code.PONG, token: Uint8Array.of(3), options: [{ number: SignalOption.CUSTODY, value: new Uint8Array() }], payload: new Uint8Array() });
  });

  it("turns Release into 5.03 with Max-Age = Hold-Off for what is pending, then closes; the next request reconnects", () => {
    const { t } = connected();
    const out = t.fromHub(encode(releaseMessage({ holdOff: 30 })), T0 + 1);
    const [res] = udp(out);
    expect(res).toMatchObject({ type: "ACK", messageId: 100 });
    expect(formatCode(res.code)).toBe("5.03");
    expect(getUintOption(res, Option.MAX_AGE)).toBe(30);
    expect(out.at(-1)).toEqual({ kind: "disconnect", code: 1000, reason: "hub released the connection" });
    expect(kinds(t.fromPeer(datagram("CON", 101, [1]), T0 + 2))).toEqual(["connect", "hub", "hub"]);
  });

  it("turns a Release without Hold-Off into 5.03 with Max-Age 0: come back at once, not after the 60 s default", () => {
    const { t } = connected();
    const [res] = udp(t.fromHub(encode(releaseMessage()), T0 + 1));
    expect(formatCode(res.code)).toBe("5.03");
    expect(getUintOption(res, Option.MAX_AGE)).toBe(0);
  });

  it("turns Abort into 5.02 carrying the hub's diagnostic", () => {
    const { t } = connected();
    const [res] = udp(t.fromHub(encode(abortMessage("bad things")), T0 + 1));
    expect(formatCode(res.code)).toBe("5.02");
    expect(text(res)).toContain("bad things");
  });

  it("aborts a hub that sends a malformed message, with 1002", () => {
    const { t } = connected();
    const out = t.fromHub(Uint8Array.of(0x0f, 0x01), T0 + 1);
    expect(formatCode(hub(out)[0].code)).toBe("7.05");
    expect(out.at(-1)).toMatchObject({ kind: "disconnect", code: 1002 });
  });

  it("answers 5.02 to what is pending when the hub connection is lost, and observers get it as their last notification", () => {
    const { t } = connected();
    t.fromPeer(datagram("NON", 101, [0xbb], [observe(0), ...path("shadow", "delta")]), T0 + 1);
    const out = udp(t.hubClosed("hub closed the connection (1006)", T0 + 2));
    expect(out.map((d) => [d.type, formatCode(d.code)])).toEqual([["ACK", "5.02"], ["NON", "5.02"]]);
  });
});

describe("translator properties", () => {
  const peerInput = fc.oneof(
    fc.record({
      type: fc.constantFrom("CON", "NON", "ACK", "RST") as fc.Arbitrary<Datagram["type"]>,
      code: fc.constantFrom(0, Code.GET, Code.POST, Code.CONTENT, Code.PING),
      messageId: fc.integer({ min: 0, max: 5 }),
      token: fc.uint8Array({ maxLength: 2 }),
      observe: fc.constantFrom(undefined, 0, 1),
    }).map((d) => ({ kind: "peer" as const, bytes: d.code === 0 ? serializeDatagram(emptyMessage(d.type === "NON" ? "CON" : d.type, d.messageId)) : datagram(d.type, d.messageId, [...d.token], d.observe === undefined ? path("x") : [observe(d.observe), ...path("x")], d.code) })),
    fc.uint8Array({ maxLength: 12 }).map((bytes) => ({ kind: "peer" as const, bytes })),
    fc.record({ which: fc.nat(), code: fc.constantFrom(Code.CONTENT, Code.NOT_FOUND), obs: fc.boolean() }).map((r) => ({ kind: "hub" as const, ...r })),
    fc.constant({ kind: "hubClosed" as const }),
    fc.integer({ min: 1, max: 60_000 }).map((ms) => ({ kind: "time" as const, ms })),
  );

  it("never throws, and writes only well-formed datagrams and hub messages", () => {
    fc.assert(
      fc.property(fc.array(peerInput, { maxLength: 40 }), (inputs) => {
        const t = new Translator(config, T0);
        let now = T0;
        const tokens: Uint8Array[] = [];
        for (const input of inputs) {
          let out: Action[];
          if (input.kind === "peer") out = t.fromPeer(input.bytes, now);
          else if (input.kind === "hubClosed") out = t.hubClosed("gone", now);
          else if (input.kind === "time") out = t.tick((now += input.ms));
          else out = tokens.length === 0 ? [] : t.fromHub(response(tokens[input.which % tokens.length], input.code, input.obs ? [observe(3)] : []), now);
          udp(out);
          for (const m of hub(out)) if (m.code !== Code.CSM) tokens.push(m.token);
          const next = t.nextDeadline();
          if (next !== null) expect(next).toBeGreaterThanOrEqual(T0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
