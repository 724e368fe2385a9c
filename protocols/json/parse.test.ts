import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDeviceMessage } from "./parse";
import type { DeviceMessage, JsonProtocolErrorCode } from "./messages";

describe("parseDeviceMessage: good messages", () => {
  const good: [string, string, DeviceMessage][] = [
    ["shadow.get, classic", '{"type":"shadow.get"}', { type: "shadow.get", shadow: "" }],
    ["shadow.get, named", '{"type":"shadow.get","shadow":"config","clientToken":"t1"}', { type: "shadow.get", shadow: "config", clientToken: "t1" }],
    ["shadow.get, explicit classic", '{"type":"shadow.get","shadow":""}', { type: "shadow.get", shadow: "" }],
    [
      "shadow.update",
      '{"type":"shadow.update","state":{"desired":{"color":"RED"},"reported":null},"version":3,"clientToken":"c"}',
      { type: "shadow.update", shadow: "", state: { desired: { color: "RED" }, reported: null }, version: 3, clientToken: "c" },
    ],
    ["shadow.update, state null", '{"type":"shadow.update","shadow":"a-b_c","state":null}', { type: "shadow.update", shadow: "a-b_c", state: null }],
    // The shadow, not the codec, judges the state's contents (AWS 400s come back as shadow.rejected).
    ["shadow.update, state contents unchecked", '{"type":"shadow.update","state":{"delta":1}}', { type: "shadow.update", shadow: "", state: { delta: 1 } }],
    ["shadow.delete", '{"type":"shadow.delete","version":0}', { type: "shadow.delete", shadow: "", version: 0 }],
    ["telemetry", '{"type":"telemetry","data":{"t":21.5,"tags":["a"],"x":null}}', { type: "telemetry", data: { t: 21.5, tags: ["a"], x: null } }],
    ["telemetry with ts", '{"ts":1700000000000,"type":"telemetry","data":{"on":true}}', { type: "telemetry", data: { on: true }, ts: 1700000000000 }],
    ["ping", '{"type":"ping"}', { type: "ping" }],
    ["ping with id", '{"type":"ping","id":7}', { type: "ping", id: 7 }],
    ["ping with string id", ' {"type":"ping","id":"x"} ', { type: "ping", id: "x" }],
  ];
  it.each(good)("%s", (_name, text, message) => {
    expect(parseDeviceMessage(text)).toEqual({ ok: true, message });
  });

  it("accepts binary frames holding UTF-8 JSON", () => {
    const bytes = new TextEncoder().encode('{"type":"telemetry","data":{"name":"café"}}');
    expect(parseDeviceMessage(bytes)).toEqual({ ok: true, message: { type: "telemetry", data: { name: "café" } } });
    expect(parseDeviceMessage(bytes.buffer as ArrayBuffer)).toMatchObject({ ok: true });
  });
});

describe("parseDeviceMessage: bad messages", () => {
  const bad: [string, string, JsonProtocolErrorCode][] = [
    ["empty", "", "bad_json"],
    ["not JSON", "{type: ping}", "bad_json"],
    ["truncated", '{"type":"ping"', "bad_json"],
    ["array", '[{"type":"ping"}]', "bad_message"],
    ["string", '"ping"', "bad_message"],
    ["null", "null", "bad_message"],
    ["no type", "{}", "bad_message"],
    ["type not a string", '{"type":1}', "bad_message"],
    ["unknown type", '{"type":"reboot"}', "unknown_type"],
    ["prototype key as type", '{"type":"constructor"}', "unknown_type"],
    ["__proto__ as type", '{"type":"__proto__"}', "unknown_type"],
    ["unknown field", '{"type":"ping","foo":1}', "bad_message"],
    ["__proto__ field", '{"type":"ping","__proto__":{}}', "bad_message"],
    ["constructor field", '{"type":"ping","constructor":1}', "bad_message"],
    ["ping id object", '{"type":"ping","id":{}}', "bad_message"],
    ["update without state", '{"type":"shadow.update"}', "bad_message"],
    ["update state array", '{"type":"shadow.update","state":[]}', "bad_message"],
    ["update state number", '{"type":"shadow.update","state":5}', "bad_message"],
    ["version negative", '{"type":"shadow.delete","version":-1}', "bad_message"],
    ["version fractional", '{"type":"shadow.update","state":{},"version":1.5}', "bad_message"],
    ["version string", '{"type":"shadow.delete","version":"1"}', "bad_message"],
    ["clientToken number", '{"type":"shadow.get","clientToken":1}', "bad_message"],
    ["shadow name with slash", '{"type":"shadow.get","shadow":"a/b"}', "bad_message"],
    ["shadow name too long", `{"type":"shadow.get","shadow":"${"x".repeat(65)}"}`, "bad_message"],
    ["shadow name not a string", '{"type":"shadow.get","shadow":null}', "bad_message"],
    ["telemetry without data", '{"type":"telemetry"}', "bad_message"],
    ["telemetry empty data", '{"type":"telemetry","data":{}}', "bad_message"],
    ["telemetry data array", '{"type":"telemetry","data":[1]}', "bad_message"],
    ["telemetry data with a number beyond a double (Infinity, stored as null before)", '{"type":"telemetry","data":{"a":1e400}}', "bad_message"],
    ["telemetry data with a nested -1e400", '{"type":"telemetry","data":{"a":{"b":[-1e400]}}}', "bad_message"],
    ["telemetry ts fractional", '{"type":"telemetry","data":{"a":1},"ts":1.5}', "bad_message"],
    ["telemetry ts huge", '{"type":"telemetry","data":{"a":1},"ts":1e300}', "bad_message"],
    ["telemetry ts string", '{"type":"telemetry","data":{"a":1},"ts":"now"}', "bad_message"],
    ["too deep", `{"type":"telemetry","data":{"a":${"[".repeat(40)}${"]".repeat(40)}}}`, "bad_message"],
  ];
  it.each(bad)("%s", (_name, text, code) => {
    const r = parseDeviceMessage(text);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message.length).toBeGreaterThan(0);
    }
  });

  it("names the refused message's id when it has a usable one, so the device knows which was refused", () => {
    expect(parseDeviceMessage('{"type":"telemetry","id":"m-1","data":{}}')).toMatchObject({ ok: false, error: { code: "bad_message", id: "m-1" } });
    expect(parseDeviceMessage('{"type":"reboot","id":9}')).toMatchObject({ ok: false, error: { code: "unknown_type", id: 9 } });
    expect(parseDeviceMessage('{"type":"ping","id":7,"foo":1}')).toMatchObject({ ok: false, error: { id: 7 } });
    // An id that is itself the problem, or too long to echo, is not repeated back.
    for (const text of ['{"type":"ping","id":{}}', `{"type":"ping","id":"${"x".repeat(129)}","foo":1}`, '{"type":"telemetry","data":{}}']) {
      const r = parseDeviceMessage(text);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).not.toHaveProperty("id");
    }
  });

  it("a refused shadow request names its shadow, operation and clientToken (answered shadow.rejected)", () => {
    expect(parseDeviceMessage('{"type":"shadow.update","shadow":"cfg","state":[1],"clientToken":"c1"}')).toEqual({
      ok: false,
      error: { code: "bad_message", message: 'shadow.update: "state" must be an object or null', shadow: { name: "cfg", op: "update", clientToken: "c1" } },
    });
    expect(parseDeviceMessage('{"type":"shadow.delete","version":-1}')).toMatchObject({ ok: false, error: { shadow: { name: "", op: "delete" } } });
    // A clientToken that is no string is not echoed; other types carry no shadow.
    expect(parseDeviceMessage('{"type":"shadow.get","clientToken":1}')).toMatchObject({ ok: false, error: { shadow: { name: "", op: "get" } } });
    expect((parseDeviceMessage('{"type":"shadow.get","clientToken":1}') as { error: { shadow: object } }).error.shadow).not.toHaveProperty("clientToken");
    expect(parseDeviceMessage('{"type":"telemetry"}')).not.toHaveProperty("error.shadow");
  });

  it("refuses frames over the size limit, counted in UTF-8 bytes", () => {
    const text = `{"type":"telemetry","data":{"s":"${"é".repeat(40)}"}}`; // 36 + 80 = 116 bytes
    expect(parseDeviceMessage(text, { maxBytes: 100 })).toMatchObject({ ok: false, error: { code: "too_large" } });
    expect(parseDeviceMessage(text, { maxBytes: 116 })).toMatchObject({ ok: true });
    expect(parseDeviceMessage(new TextEncoder().encode(text), { maxBytes: 115 })).toMatchObject({ ok: false, error: { code: "too_large" } });
    expect(parseDeviceMessage("x".repeat(64 * 1024 + 1))).toMatchObject({ ok: false, error: { code: "too_large" } });
  });

  it("refuses invalid UTF-8 in binary frames", () => {
    expect(parseDeviceMessage(new Uint8Array([0x7b, 0xff, 0x7d]))).toMatchObject({ ok: false, error: { code: "bad_json" } });
  });

  it("survives pathological nesting within the size limit", () => {
    const deep = `{"type":"telemetry","data":{"a":${"[".repeat(30000)}${"]".repeat(30000)}}}`;
    expect(parseDeviceMessage(deep)).toMatchObject({ ok: false, error: { code: "bad_message" } });
    // Refused by the depth scan before it could be parsed (and found unbalanced).
    expect(parseDeviceMessage("[".repeat(60000))).toMatchObject({ ok: false, error: { code: "bad_message", message: expect.stringMatching(/nests deeper/) } });
  });
});

describe("parseDeviceMessage: fuzz", () => {
  const check = (input: string | Uint8Array): void => {
    const r = parseDeviceMessage(input, { maxBytes: 4096 });
    if (r.ok) expect(typeof r.message.type).toBe("string");
    else expect(["bad_json", "bad_message", "too_large", "unknown_type"]).toContain(r.error.code);
  };

  it("never throws on arbitrary strings", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), check), { numRuns: 2000 });
  });

  it("never throws on arbitrary bytes", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 1000 });
  });

  it("never throws on arbitrary JSON, and what it accepts re-parses to the same message", () => {
    const type = fc.constantFrom("shadow.get", "shadow.update", "shadow.delete", "telemetry", "ping", "other");
    const field = fc.constantFrom("shadow", "state", "version", "clientToken", "data", "ts", "id", "__proto__", "x");
    const message = fc.tuple(type, fc.dictionary(field, fc.jsonValue({ maxDepth: 4 }), { maxKeys: 4 })).map(([t, rest]) => ({ ...rest, type: t }));
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), message), (value) => {
        const text = JSON.stringify(value);
        check(text);
        const r = parseDeviceMessage(text, { maxBytes: 4096 });
        if (r.ok) expect(parseDeviceMessage(JSON.stringify(r.message))).toEqual(r);
      }),
      { numRuns: 3000 },
    );
  });

  it("mutated valid frames never throw", () => {
    const seed = '{"type":"shadow.update","shadow":"cfg","state":{"desired":{"a":[1,2,{"b":null}]}},"version":2,"clientToken":"t"}';
    const mutation = fc.array(fc.tuple(fc.nat(seed.length), fc.nat(seed.length), fc.string({ maxLength: 3 })), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(mutation, (edits) => {
        let text = seed;
        for (const [at, del, ins] of edits) text = text.slice(0, at) + ins + text.slice(at + (del % 4));
        check(text);
      }),
      { numRuns: 2000 },
    );
  });
});
