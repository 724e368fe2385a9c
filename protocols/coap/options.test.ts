import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockSize, decodeBlock, encodeBlock, szxForSize } from "./block";
import { decode, encode } from "./codec";
import { Code, codeKind, formatCode, makeCode } from "./codes";
import { CoapError } from "./errors";
import {
  Option,
  decodeString,
  decodeUint,
  encodeUint,
  etagFromVersion,
  fromHex,
  getUriPath,
  getUriQuery,
  isCritical,
  observeOption,
  pathOptions,
  queryOptions,
  toHex,
} from "./options";
import { DEFAULT_CSM, abortMessage, applyCsm, csmMessage, pingMessage, pongMessage, releaseMessage, unknownCriticalSignalOption } from "./signaling";

const hex = (b: Uint8Array) => toHex(b);

describe("codes (RFC 7252 §12.1, RFC 8323 §11.1)", () => {
  it.each([
    [Code.CONTENT, "2.05", 2, 5],
    [Code.CONTINUE, "2.31", 2, 31],
    [Code.CONFLICT, "4.09", 4, 9],
    [Code.REQUEST_ENTITY_TOO_LARGE, "4.13", 4, 13],
    [Code.TOO_MANY_REQUESTS, "4.29", 4, 29],
    [Code.PROXYING_NOT_SUPPORTED, "5.05", 5, 5],
    [Code.CSM, "7.01", 7, 1],
    [Code.ABORT, "7.05", 7, 5],
  ])("%i is %s", (code, text, cls, detail) => {
    expect(formatCode(code)).toBe(text);
    expect(makeCode(cls, detail)).toBe(code);
  });
  it("classifies codes", () => {
    expect([0x00, 0x01, 0x1f, 0x45, 0xa5, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0x20, 0xc0].map(codeKind)).toEqual([
      "empty", "request", "request", "response", "response", "csm", "ping", "pong", "release", "abort", "reserved", "reserved", "reserved",
    ]);
  });
});

describe("uint and string options (RFC 7252 §3.2)", () => {
  it.each([
    [0, ""],
    [1, "01"],
    [255, "ff"],
    [256, "0100"],
    [1152, "0480"],
    [65536, "010000"],
    [0xffffffff, "ffffffff"],
  ])("%i ↔ %s", (n, h) => {
    expect(hex(encodeUint(n))).toBe(h);
    expect(decodeUint(fromHex(h))).toBe(n);
  });
  it("tolerates leading zeros and rejects bad input", () => {
    expect(decodeUint(fromHex("0001"))).toBe(1);
    expect(() => decodeUint(new Uint8Array(7))).toThrow(CoapError);
    expect(() => encodeUint(-1)).toThrow(CoapError);
    expect(() => decodeString(Uint8Array.of(0xff))).toThrow(CoapError);
  });
  it("round-trips uints", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 48 - 1 }), (n) => {
        expect(decodeUint(encodeUint(n))).toBe(n);
      }),
    );
  });
  it("builds Uri-Path / Uri-Query options (RFC 7252 §6.4)", () => {
    const m = { options: [...pathOptions("/shadow/lamp/delta"), ...queryOptions(["auth=t", "x=1"])] };
    expect(getUriPath(m)).toEqual(["shadow", "lamp", "delta"]);
    expect(getUriQuery(m)).toEqual(["auth=t", "x=1"]);
    expect(pathOptions("/")).toEqual([]);
  });
  it("knows critical from elective (RFC 7252 §5.4.6)", () => {
    expect([Option.IF_MATCH, Option.URI_PATH, Option.ACCEPT, Option.BLOCK1].every(isCritical)).toBe(true);
    expect([Option.ETAG, Option.OBSERVE, Option.CONTENT_FORMAT, Option.SIZE1, Option.NO_RESPONSE].some(isCritical)).toBe(false);
  });
  it("Observe is a 24-bit sequence number of at most 3 bytes (RFC 7641 §4.4)", () => {
    expect(hex(observeOption(0).value)).toBe("");
    expect(hex(observeOption(0xffffff).value)).toBe("ffffff");
    expect(hex(observeOption(0x1000001).value)).toBe("01");
  });
  it("ETag from version is 1–8 bytes (RFC 7252 §5.10.6)", () => {
    expect(hex(etagFromVersion(0))).toBe("00");
    expect(hex(etagFromVersion(7))).toBe("07");
    expect(hex(etagFromVersion(2 ** 40))).toBe("010000000000");
  });
});

describe("Block1/Block2 (RFC 7959 §2.2)", () => {
  it.each([
    [{ num: 0, more: false, szx: 0 }, ""],
    [{ num: 0, more: false, szx: 2 }, "02"],
    [{ num: 0, more: true, szx: 6 }, "0e"],
    [{ num: 1, more: true, szx: 6 }, "1e"],
    [{ num: 15, more: false, szx: 2 }, "f2"],
    [{ num: 16, more: true, szx: 6 }, "010e"],
    [{ num: 4096, more: false, szx: 7 }, "010007"],
    [{ num: 2 ** 20 - 1, more: true, szx: 6 }, "fffffe"],
  ])("%o ↔ %s", (block, h) => {
    expect(hex(encodeBlock(block))).toBe(h);
    expect(decodeBlock(fromHex(h))).toEqual(block);
  });
  it("sizes: 2^(SZX+4), BERT counts 1024 (RFC 8323 §6)", () => {
    expect([0, 1, 6, 7].map(blockSize)).toEqual([16, 32, 1024, 1024]);
    expect([15, 16, 100, 1024, 5000].map(szxForSize)).toEqual([0, 0, 2, 6, 6]);
  });
  it("rejects out-of-range values", () => {
    expect(() => encodeBlock({ num: 2 ** 20, more: false, szx: 0 })).toThrow(CoapError);
    expect(() => encodeBlock({ num: 0, more: false, szx: 8 })).toThrow(CoapError);
    expect(() => decodeBlock(new Uint8Array(4))).toThrow(CoapError);
  });
});

describe("signaling messages (RFC 8323 §5)", () => {
  it("CSM always carries Max-Message-Size (libcoap ignores an empty CSM)", () => {
    expect(hex(encode(csmMessage({ maxMessageSize: 1152, blockWise: true })))).toBe("00e12204802" + "0");
    expect(hex(encode(csmMessage({ maxMessageSize: 1152, blockWise: false })))).toBe("00e1220480");
  });
  it("applies CSMs over the defaults; later ones update (§5.3)", () => {
    const a = applyCsm(DEFAULT_CSM, decode(fromHex("00e1220480")));
    expect(a).toEqual({ maxMessageSize: 1152, blockWise: false });
    expect(applyCsm(a, decode(fromHex("00e140")))).toEqual({ maxMessageSize: 1152, blockWise: true });
    expect(() => applyCsm(DEFAULT_CSM, decode(fromHex("00e1250102030405")))).toThrow(CoapError);
  });
  it("Ping/Pong/Release/Abort encodings", () => {
    expect(hex(encode(pingMessage(Uint8Array.of(7), true)))).toBe("01e20720");
    expect(hex(encode(pongMessage(Uint8Array.of(7), false)))).toBe("01e307");
    expect(hex(encode(releaseMessage({ holdOff: 10 })))).toBe("00e4410a");
    expect(hex(encode(abortMessage("bad", 4)))).toBe("00e52104ff626164");
  });
  it("finds unknown critical signaling options per code", () => {
    expect(unknownCriticalSignalOption(decode(fromHex("00e1220480")))).toBeUndefined();
    expect(unknownCriticalSignalOption(decode(fromHex("00e130")))).toBe(3);
    expect(unknownCriticalSignalOption(decode(fromHex("00e260")))).toBeUndefined(); // 6 is elective
    expect(unknownCriticalSignalOption(decode(fromHex("00e250")))).toBe(5);
  });
});
