/**
 * SenML (RFC 8428) resolution shared by the JSON and CBOR paths: base fields (§4.1),
 * name rules (§4.5.1), time (§4.5.3), values (§4.2) and the resolved form (§4.6).
 * @module
 */
import { SenMLError } from "./errors";

/** A resolved SenML record (RFC 8428 §4.6): no base fields, absolute time. */
export interface SenMLRecord {
  /** Base name + name. */
  n: string;
  /** Absolute time in seconds since the Unix epoch. */
  t: number;
  u?: string;
  v?: number;
  vs?: string;
  vb?: boolean;
  /** Data value, base64url without padding (RFC 8428 §4.3). */
  vd?: string;
  s?: number;
  ut?: number;
}

/** Times below 2^28 s are relative to now (RFC 8428 §4.5.3). */
export const RELATIVE_TIME_LIMIT = 2 ** 28;
/** The SenML version this decoder implements (RFC 8428 §4.4). */
export const SENML_VERSION = 10;

/** Fields of one record as read from the wire; one instance is reused for every record. */
export class RecordFields {
  bn: string | undefined = undefined;
  bt: number | undefined = undefined;
  bu: string | undefined = undefined;
  bv: number | undefined = undefined;
  bs: number | undefined = undefined;
  bver: number | undefined = undefined;
  n: string | undefined = undefined;
  u: string | undefined = undefined;
  v: number | undefined = undefined;
  vs: string | undefined = undefined;
  vb: boolean | undefined = undefined;
  vd: string | undefined = undefined;
  s: number | undefined = undefined;
  t: number | undefined = undefined;
  ut: number | undefined = undefined;

  reset(): void {
    this.bn = this.bt = this.bu = this.bv = this.bs = this.bver = undefined;
    this.n = this.u = this.v = this.vs = this.vb = this.vd = this.s = this.t = this.ut = undefined;
  }
}

// §4.5.1: names use A-Z a-z 0-9 - : . / _ and start with a letter or digit.
const NAME_CHAR = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-:./_") NAME_CHAR[c.charCodeAt(0)] = 1;

function nameChars(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] === 0) return false;
  }
  return true;
}

function startsName(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
}

/** Base values in force (§4.1: a base field applies to its record and all after it). */
export class Resolver {
  private bn = "";
  private bnOk = true;
  private bt = 0;
  private bu: string | undefined = undefined;
  private bv = 0;
  private bs = 0;
  private lastN = "";

  constructor(private readonly now: number) {}

  /** Applies `f`'s base fields, then returns its resolved record. */
  resolve(f: RecordFields, index: number, offset: number): SenMLRecord {
    if (f.bver !== undefined) {
      if (!Number.isInteger(f.bver) || f.bver < 1) throw new SenMLError("senml_invalid_field", index, offset, "bver");
      if (f.bver > SENML_VERSION) throw new SenMLError("senml_unsupported_version", index, offset, String(f.bver));
    }
    if (f.bn !== undefined) {
      this.bn = f.bn;
      this.bnOk = nameChars(f.bn);
    }
    if (f.bt !== undefined) this.bt = f.bt;
    if (f.bu !== undefined) this.bu = f.bu;
    if (f.bv !== undefined) this.bv = f.bv;
    if (f.bs !== undefined) this.bs = f.bs;

    const n = f.n ?? "";
    if (n !== this.lastN && !nameChars(n)) throw new SenMLError("senml_invalid_name", index, offset, n);
    this.lastN = n;
    const name = this.bn.length === 0 ? n : n.length === 0 ? this.bn : this.bn + n;
    if (!this.bnOk || name.length === 0 || !startsName(name.charCodeAt(0))) {
      throw new SenMLError("senml_invalid_name", index, offset, name);
    }
    // §4.2: exactly one of v, vs, vb, vd, unless there is a sum, which may also stand alone
    // (a base value alone is no value: it only adds to one).
    const values = (f.v !== undefined ? 1 : 0) + (f.vs !== undefined ? 1 : 0)
      + (f.vb !== undefined ? 1 : 0) + (f.vd !== undefined ? 1 : 0);
    if (values > 1) throw new SenMLError("senml_multiple_values", index, offset);
    if (values === 0 && f.s === undefined) throw new SenMLError("senml_no_value", index, offset, name);

    let t = this.bt + (f.t ?? 0);
    if (t < RELATIVE_TIME_LIMIT) t += this.now;
    const r: SenMLRecord = { n: name, t };
    const u = f.u ?? this.bu;
    if (u !== undefined) r.u = u;
    if (f.v !== undefined) r.v = this.bv + f.v;
    else if (f.vs !== undefined) r.vs = f.vs;
    else if (f.vb !== undefined) r.vb = f.vb;
    else if (f.vd !== undefined) r.vd = f.vd;
    if (f.s !== undefined) r.s = this.bs + f.s;
    if (f.ut !== undefined) r.ut = f.ut;
    // JSON's 1e400, CBOR's NaN and Infinity, or a base plus a value past a double's range: no
    // number to store (JSON would write null), so the pack is refused, not changed.
    for (const key of ["t", "v", "s", "ut"] as const) {
      const x = r[key];
      if (x !== undefined && !Number.isFinite(x)) throw new SenMLError("senml_not_finite", index, offset, key);
    }
    return r;
  }
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** base64url without padding (RFC 4648 §5), the JSON form of `vd` (RFC 8428 §4.3). */
export function base64url(b: Uint8Array): string {
  let s = "";
  let i = 0;
  for (; i + 3 <= b.length; i += 3) {
    const x = (b[i] << 16) | (b[i + 1] << 8) | b[i + 2];
    s += B64URL[x >> 18] + B64URL[(x >> 12) & 63] + B64URL[(x >> 6) & 63] + B64URL[x & 63];
  }
  if (i + 1 === b.length) {
    const x = b[i] << 16;
    s += B64URL[x >> 18] + B64URL[(x >> 12) & 63];
  } else if (i + 2 === b.length) {
    const x = (b[i] << 16) | (b[i + 1] << 8);
    s += B64URL[x >> 18] + B64URL[(x >> 12) & 63] + B64URL[(x >> 6) & 63];
  }
  return s;
}

/** Seconds since the epoch, the default `now` for relative times. */
export function nowSeconds(): number {
  return Date.now() / 1000;
}
