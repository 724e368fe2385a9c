import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { contentEtag, etagNamesVersion, versionEtag } from "./etag";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");

describe("ETags of shadow representations (RFC 7252 §5.10.6)", () => {
  it.each([
    [0, 50, "00"],
    [1, 50, "01"],
    [258, 50, "0102"],
    [1, 60, "3c00000000000001"],
    [2 ** 53 - 1, 60, "3c1fffffffffffff"],
  ] as const)("version %i in format %i → %s", (version, format, want) => {
    expect(hex(versionEtag(version, format))).toBe(want);
  });

  it("no JSON ETag of any version equals a CBOR ETag of any version; both fit 8 bytes", () => {
    const version = fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(version, version, (a, b) => {
        const j = versionEtag(a, 50);
        const c = versionEtag(b, 60);
        expect(j.length).toBeLessThanOrEqual(8);
        expect(c.length).toBe(8);
        expect(hex(j)).not.toBe(hex(c));
        expect(etagNamesVersion(j, a) && etagNamesVersion(c, b)).toBe(true);
        if (a !== b) expect(etagNamesVersion(j, b) || etagNamesVersion(c, a)).toBe(false);
      }),
    );
  });

  it("content ETags are 8 bytes, equal for equal bytes, different for a changed byte", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.nat(), (bytes, at) => {
        expect(contentEtag(bytes)).toEqual(contentEtag(bytes.slice()));
        expect(contentEtag(bytes).length).toBe(8);
        const changed = bytes.slice();
        changed[at % bytes.length] ^= 1;
        expect(hex(contentEtag(changed))).not.toBe(hex(contentEtag(bytes)));
      }),
    );
    expect(hex(contentEtag(new TextEncoder().encode("{}")))).not.toBe(hex(contentEtag(new TextEncoder().encode("{ }"))));
  });
});
