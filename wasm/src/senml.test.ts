import { describe, expect, it } from "vitest";
import { codec, fromHex, toHex } from "./test-utils";
import { encode } from "./encode";
import { SenMLError } from "./errors";
import type { SenMLRecord } from "./senml";

const NOW = 1_700_000_000;
const LABELS: Record<string, number> = { bver: -1, bn: -2, bt: -3, bu: -4, bv: -5, bs: -6, n: 0, u: 1, v: 2, vs: 3, vb: 4, s: 5, t: 6, ut: 7, vd: 8 };

/** The CBOR form of a SenML JSON pack (RFC 8428 §6: integer labels, vd as bytes). */
function toCbor(pack: Record<string, unknown>[]): Uint8Array {
  return encode(pack.map((rec) => new Map(Object.entries(rec).map(([k, v]) => [
    LABELS[k] ?? k,
    k === "vd" ? Uint8Array.from(Buffer.from(v as string, "base64url")) : v,
  ]))));
}

const json = (s: string): Uint8Array => new TextEncoder().encode(s);
const both = (text: string): [SenMLRecord[], SenMLRecord[]] => {
  const pack = JSON.parse(text) as Record<string, unknown>[];
  return [codec.decodeSenML(json(text), "json", NOW), codec.decodeSenML(toCbor(pack), "cbor", NOW)];
};

// RFC 8428 §5.1 examples.
const SINGLE = `[{"n":"urn:dev:ow:10e2073a01080063","u":"Cel","v":23.1}]`;
const DATAPOINTS = `[{"bn":"urn:dev:ow:10e2073a01080063:","n":"voltage","u":"V","v":120.1},
  {"n":"current","u":"A","v":1.2}]`;
const RELATIVE = `[{"bn":"urn:dev:ow:10e2073a0108006:","bt":1.276020076001e+09,"bu":"A","bver":5,"n":"voltage","u":"V","v":120.1},
  {"n":"current","t":-5,"v":1.2},{"n":"current","t":-4,"v":1.3},{"n":"current","t":-3,"v":1.4},
  {"n":"current","t":-2,"v":1.5},{"n":"current","t":-1,"v":1.6},{"n":"current","v":1.7}]`;
const MEASUREMENTS = `[{"bn":"urn:dev:ow:10e2073a01080063","bt":1.320067464e+09,"bu":"%RH","v":20},
  {"u":"lon","v":24.30621},{"u":"lat","v":60.07965},{"t":60,"v":20.3},{"u":"lon","t":60,"v":24.30622},
  {"u":"lat","t":60,"v":60.07965},{"t":120,"v":20.7},{"u":"lon","t":120,"v":24.30623},{"u":"lat","t":120,"v":60.07966},
  {"u":"%EL","t":150,"v":98},{"t":180,"v":21.2},{"u":"lon","t":180,"v":24.30628},{"u":"lat","t":180,"v":60.07967}]`;
// §5.1.4: the resolved form of MEASUREMENTS, as printed in the RFC.
const MEASUREMENTS_RESOLVED = `[
  {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067464e+09,"v":20},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067464e+09,"v":24.30621},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067464e+09,"v":60.07965},
  {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067524e+09,"v":20.3},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067524e+09,"v":24.30622},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067524e+09,"v":60.07965},
  {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067584e+09,"v":20.7},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067584e+09,"v":24.30623},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067584e+09,"v":60.07966},
  {"n":"urn:dev:ow:10e2073a01080063","u":"%EL","t":1.320067614e+09,"v":98},
  {"n":"urn:dev:ow:10e2073a01080063","u":"%RH","t":1.320067644e+09,"v":21.2},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lon","t":1.320067644e+09,"v":24.30628},
  {"n":"urn:dev:ow:10e2073a01080063","u":"lat","t":1.320067644e+09,"v":60.07967}]`;
const DATA_TYPES = `[{"bn":"urn:dev:ow:10e2073a01080063:","n":"temp","u":"Cel","v":23.1},
  {"n":"label","vs":"Machine Room"},{"n":"open","vb":false},{"n":"nfv-reader","vd":"aGkgCg"}]`;
// DATAPOINTS in CBOR, assembled by hand from §6 Table 4 (bn -2 = 0x21, n 0, u 1, v 2).
const DATAPOINTS_CBOR = "82a421781c75726e3a6465763a6f773a3130653230373361303130383030363" +
  "33a0067766f6c7461676501615602fb405e066666666666a3006763757272656e74016141" + "02fb3ff3333333333333";

describe("RFC 8428 §5.1 examples", () => {
  it("single datapoint: relative (absent) time is now", () => {
    for (const r of both(SINGLE)) expect(r).toEqual([{ n: "urn:dev:ow:10e2073a01080063", t: NOW, u: "Cel", v: 23.1 }]);
  });

  it("multiple datapoints: base name prefixes names", () => {
    for (const r of both(DATAPOINTS)) {
      expect(r).toEqual([
        { n: "urn:dev:ow:10e2073a01080063:voltage", t: NOW, u: "V", v: 120.1 },
        { n: "urn:dev:ow:10e2073a01080063:current", t: NOW, u: "A", v: 1.2 },
      ]);
    }
  });

  it("decodes hand-assembled §6 CBOR, which the encoder reproduces", () => {
    const [fromJson] = both(DATAPOINTS);
    expect(codec.decodeSenML(fromHex(DATAPOINTS_CBOR), "cbor", NOW)).toEqual(fromJson);
    expect(toHex(toCbor(JSON.parse(DATAPOINTS) as Record<string, unknown>[]))).toBe(DATAPOINTS_CBOR);
  });

  it("base time, base unit and relative times", () => {
    const bt = 1.276020076001e9;
    for (const r of both(RELATIVE)) {
      expect(r[0]).toEqual({ n: "urn:dev:ow:10e2073a0108006:voltage", t: bt, u: "V", v: 120.1 });
      expect(r.slice(1).map((x) => [x.n, x.t, x.u, x.v])).toEqual(
        [[-5, 1.2], [-4, 1.3], [-3, 1.4], [-2, 1.5], [-1, 1.6], [0, 1.7]]
          .map(([t, v]) => ["urn:dev:ow:10e2073a0108006:current", bt + t, "A", v]));
    }
  });

  it("multiple measurements resolve to the RFC's resolved form (§5.1.4)", () => {
    for (const r of both(MEASUREMENTS)) expect(r).toEqual(JSON.parse(MEASUREMENTS_RESOLVED));
  });

  it("multiple data types", () => {
    for (const r of both(DATA_TYPES)) {
      expect(r).toEqual([
        { n: "urn:dev:ow:10e2073a01080063:temp", t: NOW, u: "Cel", v: 23.1 },
        { n: "urn:dev:ow:10e2073a01080063:label", t: NOW, vs: "Machine Room" },
        { n: "urn:dev:ow:10e2073a01080063:open", t: NOW, vb: false },
        { n: "urn:dev:ow:10e2073a01080063:nfv-reader", t: NOW, vd: "aGkgCg" },
      ]);
    }
  });
});

describe("base values (RFC 8428 §4.1, §4.6)", () => {
  it("adds bv to v and bs to s, and keeps them for later records", () => {
    const text = `[{"bn":"d/","bv":10,"bs":100,"n":"a","v":1,"s":2},{"n":"b","v":-1},{"n":"c","s":5},{"bv":0,"n":"d","v":3}]`;
    for (const r of both(text)) {
      expect(r).toEqual([
        { n: "d/a", t: NOW, v: 11, s: 102 },
        { n: "d/b", t: NOW, v: 9 },
        { n: "d/c", t: NOW, s: 105 },
        { n: "d/d", t: NOW, v: 3 },
      ]);
    }
  });

  it("a new base name replaces the old one; a relative base time is relative to now", () => {
    const text = `[{"bn":"a:","bt":-10,"n":"x","v":1},{"bn":"b:","n":"y","t":2,"v":1},{"bt":1.5e9,"n":"z","t":-1,"v":1,"ut":60}]`;
    for (const r of both(text)) {
      expect(r).toEqual([
        { n: "a:x", t: NOW - 10, v: 1 },
        { n: "b:y", t: NOW - 8, v: 1 },
        { n: "b:z", t: 1.5e9 - 1, v: 1, ut: 60 },
      ]);
    }
  });

  it("ignores unknown labels", () => {
    const cbor = encode([new Map<unknown, unknown>([[0, "a"], [99, [1, 2]], ["note", { x: 1 }], [6, 1.6e9], [2, 1]])]);
    expect(codec.decodeSenML(cbor, "cbor", NOW)).toEqual([{ n: "a", t: 1.6e9, v: 1 }]);
    expect(codec.decodeSenML(json(`[{"n":"a","note":{"x":1},"s":4}]`), "json", NOW)).toEqual([{ n: "a", t: NOW, s: 4 }]);
  });

  it("defaults now to the current time", () => {
    const [r] = codec.decodeSenML(json(SINGLE), "json");
    expect(Math.abs(r.t - Date.now() / 1000)).toBeLessThan(5);
  });
});

describe("invalid packs", () => {
  it.each([
    [`{"n":"a","v":1}`, "senml_not_array"],
    [`[1]`, "senml_not_record"],
    [`[{"n":"a b","v":1}]`, "senml_invalid_name"],
    [`[{"n":"-a","v":1}]`, "senml_invalid_name"],
    [`[{"v":1}]`, "senml_invalid_name"],
    [`[{"bn":"x y","n":"a","v":1}]`, "senml_invalid_name"],
    [`[{"n":"ü","v":1}]`, "senml_invalid_name"],
    [`[{"n":"a","v":1,"vs":"x"}]`, "senml_multiple_values"],
    [`[{"n":"a","vb":true,"vd":"AA"}]`, "senml_multiple_values"],
    // §4.2: a record needs a value or a sum; units or a base value alone are not one
    [`[{"n":"a"}]`, "senml_no_value"],
    [`[{"n":"a","u":"Cel","t":1}]`, "senml_no_value"],
    [`[{"bv":1,"n":"a"}]`, "senml_no_value"],
    [`[{"n":"a","v":1},{"n":"b","bu":"V"}]`, "senml_no_value"],
    [`[{"bver":11,"n":"a","v":1}]`, "senml_unsupported_version"],
    [`[{"bver":0,"n":"a","v":1}]`, "senml_invalid_field"],
    [`[{"n":"a","v":"1"}]`, "senml_invalid_field"],
    [`[{"n":1,"v":1}]`, "senml_invalid_field"],
    [`[{"n":"a","vb":1}]`, "senml_invalid_field"],
    [`[{"n":"a","v":1,"foo_":2}]`, "senml_mandatory_field"],
    // values past a double's range (JSON's 1e400 is Infinity; the CBOR form encodes Infinity)
    [`[{"n":"a","v":1e400}]`, "senml_not_finite"],
    [`[{"n":"a","s":-1e400}]`, "senml_not_finite"],
    [`[{"n":"a","bv":1e308,"v":1e308}]`, "senml_not_finite"],
    [`[{"n":"a","bs":-1e308,"s":-1e308}]`, "senml_not_finite"],
    [`[{"n":"a","bt":1e308,"t":1e308,"v":1}]`, "senml_not_finite"],
  ])("%s → %s (JSON and CBOR)", (text, code) => {
    expect(() => codec.decodeSenML(json(text), "json", NOW)).toThrow(expect.objectContaining({ code }));
    const pack: unknown = JSON.parse(text);
    const cbor = Array.isArray(pack)
      ? toCbor(pack.map((r: unknown) => (typeof r === "object" && r !== null ? r : { x: r }) as Record<string, unknown>))
      : encode(pack);
    if (code !== "senml_not_record") expect(() => codec.decodeSenML(cbor, "cbor", NOW)).toThrow(expect.objectContaining({ code }));
  });

  it("refuses CBOR's NaN and Infinity as values", () => {
    for (const v of [NaN, Infinity, -Infinity]) {
      expect(() => codec.decodeSenML(toCbor([{ n: "a", v }]), "cbor", NOW)).toThrow(expect.objectContaining({ code: "senml_not_finite" }));
    }
  });

  it("refuses vd that is not base64url (RFC 4648 §5: no length of 1 mod 4, no padding, no other alphabet)", () => {
    for (const vd of ["A", "aGkgC", "aGk=", "aG+k", "a b"]) {
      expect(() => codec.decodeSenML(json(`[{"n":"a","vd":"${vd}"}]`), "json", NOW)).toThrow(expect.objectContaining({ code: "senml_invalid_field" }));
    }
    for (const vd of ["", "aGk", "aGkgCg", "_-8"]) expect(codec.decodeSenML(json(`[{"n":"a","vd":"${vd}"}]`), "json", NOW)[0]!.vd).toBe(vd);
  });

  it("reports the record index and, for CBOR, the record's byte offset", () => {
    const cbor = toCbor([{ n: "ok", v: 1 }, { n: "bad name", v: 2 }]);
    try {
      codec.decodeSenML(cbor, "cbor", NOW);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SenMLError);
      expect((e as SenMLError).record).toBe(1);
      expect((e as SenMLError).offset).toBe(toCbor([{ n: "ok", v: 1 }]).length);
    }
  });

  it("rejects CBOR specifics: non-record items, bad label types, vd not bytes, broken CBOR", () => {
    const err = (b: Uint8Array) => { try { codec.decodeSenML(b, "cbor", NOW); return ""; } catch (e) { return (e as SenMLError).code; } };
    expect(err(encode([1]))).toBe("senml_not_record");
    expect(err(encode([new Map<unknown, unknown>([[Uint8Array.of(0), 1]])]))).toBe("senml_invalid_label");
    expect(err(encode([new Map<unknown, unknown>([[0, "a"], [8, "aGk"]])]))).toBe("senml_invalid_field");
    expect(err(fromHex("81a20061610061"))).toBe("duplicate_key");
    expect(err(fromHex("81a1"))).toBe("truncated");
    expect(err(json("[{]"))).toBe("truncated"); // 0x5b: a byte string with an 8-byte length
    expect(() => codec.decodeSenML(json("[{]"), "json", NOW)).toThrow(expect.objectContaining({ code: "senml_invalid_json" }));
    expect(() => codec.decodeSenML(Uint8Array.of(0x5b, 0xff, 0x5d), "json", NOW)).toThrow(expect.objectContaining({ code: "senml_invalid_json" }));
  });
});
