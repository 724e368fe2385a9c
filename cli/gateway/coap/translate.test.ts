/** The pure mapping between RFC 7252 datagrams and RFC 8323 messages. */
import { describe, expect, it } from "vitest";
import { Code, Option, formatCode, getUintOption, stringOption, uintOption } from "../../../protocols/coap";
import { emptyMessage } from "./datagram";
import { GatewayCode, diagnostic, refusal, suppressed, toHubRequest, udpKind, withObserve } from "./translate";

describe("udpKind (RFC 7252 §12.1)", () => {
  it.each([
    [0x00, "empty"],
    [Code.GET, "request"],
    [Code.IPATCH, "request"],
    [Code.CONTENT, "response"],
    [Code.NOT_FOUND, "response"],
    [GatewayCode.BAD_GATEWAY, "response"],
    [0x21, "reserved"], // 1.01
    [0x61, "reserved"], // 3.01
    [0xc1, "reserved"], // 6.01
    [Code.CSM, "reserved"], // class 7 exists on reliable transports only
  ])("%s → %s", (code, kind) => expect(udpKind(code)).toBe(kind));
});

describe("No-Response (RFC 7967 §2.1)", () => {
  const req = (mask?: number) => ({ options: mask === undefined ? [] : [uintOption(Option.NO_RESPONSE, mask)] });
  it.each([
    [undefined, Code.CONTENT, false],
    [0, Code.CONTENT, false],
    [2, Code.CONTENT, true],
    [2, Code.NOT_FOUND, false],
    [8, Code.NOT_FOUND, true],
    [16, GatewayCode.BAD_GATEWAY, true],
    [26, Code.CHANGED, true],
    [24, Code.CHANGED, false],
  ])("mask %s, response %s → suppressed %s", (mask, code, expected) => expect(suppressed(req(mask), code)).toBe(expected));
});

describe("translation", () => {
  it("keeps every option but the UDP hop's", () => {
    const options = [stringOption(Option.URI_HOST, "h"), uintOption(Option.URI_PORT, 5683), stringOption(Option.URI_PATH, "shadow"), uintOption(Option.NO_RESPONSE, 2), { number: 2049, value: Uint8Array.of(1) }];
    expect(toHubRequest({ code: Code.GET, options, payload: new Uint8Array() }, Uint8Array.of(1)).options.map((o) => o.number)).toEqual([Option.URI_PATH, 2049]);
  });

  it("sets Observe to a deregistration under the hub's token", () => {
    const msg = { code: Code.GET, token: Uint8Array.of(1), options: [{ number: Option.OBSERVE, value: new Uint8Array() }, stringOption(Option.URI_PATH, "x")], payload: new Uint8Array() };
    expect(withObserve(msg, 1, Uint8Array.of(2)).options).toEqual([stringOption(Option.URI_PATH, "x"), uintOption(Option.OBSERVE, 1)]);
  });

  it("refuses a CON request on its ACK, a NON on a NON, and nothing else", () => {
    const get = { type: "CON" as const, code: Code.GET, messageId: 9, token: Uint8Array.of(4), options: [], payload: new Uint8Array() };
    expect(refusal(get, Code.SERVICE_UNAVAILABLE, "full")).toMatchObject({ type: "ACK", messageId: 9, token: Uint8Array.of(4) });
    expect(formatCode(refusal({ ...get, type: "NON" }, Code.SERVICE_UNAVAILABLE, "full")?.code ?? 0)).toBe("5.03");
    expect(refusal(emptyMessage("CON", 1), Code.SERVICE_UNAVAILABLE, "full")).toBeNull();
  });
});

describe("the gateway's own errors", () => {
  it("carry JSON {code, message} with Content-Format 50, as the hub's do (they were plain text)", () => {
    const m = diagnostic(GatewayCode.BAD_GATEWAY, Uint8Array.of(1), "hub unreachable");
    expect(JSON.parse(new TextDecoder().decode(m.payload))).toEqual({ code: 502, message: "hub unreachable" });
    expect(getUintOption(m, Option.CONTENT_FORMAT)).toBe(50);
  });
});
