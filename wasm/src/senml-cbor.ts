/**
 * SenML CBOR (RFC 8428 §6) straight from the tape: records are read field by field into
 * one reused RecordFields, so no intermediate object is built per record.
 * @module
 */
import { K_INT, K_NUM, K_FLOAT, K_TEXT, K_TEXT_INDEF, K_BYTES, K_BYTES_INDEF, K_ARRAY, K_MAP, K_TRUE, K_FALSE } from "./tape";
import { SenMLError } from "./errors";
import { RecordFields, Resolver, base64url, type SenMLRecord } from "./senml";
import type { TapeReader } from "./build";

// RFC 8428 §6, Table 4: CBOR labels.
const BVER = -1, BN = -2, BT = -3, BU = -4, BV = -5, BS = -6;
const N = 0, U = 1, V = 2, VS = 3, VB = 4, S = 5, T = 6, UT = 7, VD = 8;

function text(r: TapeReader, rec: number, label: number): string {
  const i = r.cur;
  const k = r.t32[i] & 0xff;
  if (k === K_TEXT) {
    r.cur = i + 4;
    return r.text(i);
  }
  if (k === K_TEXT_INDEF) return r.value() as string;
  throw new SenMLError("senml_invalid_field", rec, -1, String(label));
}

function num(r: TapeReader, rec: number, label: number): number {
  const i = r.cur;
  const k = r.t32[i] & 0xff;
  r.cur = i + 4;
  if (k === K_INT) return r.t32[i + 1];
  if (k === K_NUM || k === K_FLOAT) return r.f64[(i >> 1) + 1];
  throw new SenMLError("senml_invalid_field", rec, -1, String(label));
}

function field(r: TapeReader, f: RecordFields, label: number, rec: number): void {
  switch (label) {
    case N: f.n = text(r, rec, label); return;
    case V: f.v = num(r, rec, label); return;
    case U: f.u = text(r, rec, label); return;
    case T: f.t = num(r, rec, label); return;
    case BN: f.bn = text(r, rec, label); return;
    case BT: f.bt = num(r, rec, label); return;
    case BU: f.bu = text(r, rec, label); return;
    case BV: f.bv = num(r, rec, label); return;
    case BS: f.bs = num(r, rec, label); return;
    case BVER: f.bver = num(r, rec, label); return;
    case VS: f.vs = text(r, rec, label); return;
    case S: f.s = num(r, rec, label); return;
    case UT: f.ut = num(r, rec, label); return;
    case VB: {
      const k = r.t32[r.cur] & 0xff;
      if (k !== K_TRUE && k !== K_FALSE) throw new SenMLError("senml_invalid_field", rec, -1, "vb");
      f.vb = k === K_TRUE;
      r.cur += 4;
      return;
    }
    case VD: {
      const k = r.t32[r.cur] & 0xff;
      // §6: in CBOR the data value is a byte string.
      if (k !== K_BYTES && k !== K_BYTES_INDEF) throw new SenMLError("senml_invalid_field", rec, -1, "vd");
      f.vd = base64url(r.value() as Uint8Array);
      return;
    }
    default:
      r.skip(); // unknown labels are ignored (§4.4)
  }
}

/** Resolves the SenML pack whose tape `r` holds (cursor at entry 0). */
export function senmlFromTape(r: TapeReader, now: number): SenMLRecord[] {
  const t = r.t32;
  const top = r.cur;
  if ((t[top] & 0xff) !== K_ARRAY) throw new SenMLError("senml_not_array", -1, 0);
  const count = t[top + 2];
  r.cur = top + 4;
  const resolver = new Resolver(now);
  const f = new RecordFields();
  const out = new Array<SenMLRecord>(count);
  for (let j = 0; j < count; j++) {
    const e = r.cur;
    if ((t[e] & 0xff) !== K_MAP) throw new SenMLError("senml_not_record", j);
    const pairs = t[e + 2];
    const offset = t[e + 3];
    r.cur = e + 4;
    f.reset();
    for (let p = 0; p < pairs; p++) {
      const k = r.cur;
      const kk = t[k] & 0xff;
      if (kk === K_INT) {
        r.cur = k + 4;
        field(r, f, t[k + 1], j);
      } else if (kk === K_TEXT || kk === K_TEXT_INDEF) {
        // Text labels are extensions; "_"-suffixed ones must be understood (§4.4).
        const label = r.value() as string;
        if (label.endsWith("_")) throw new SenMLError("senml_mandatory_field", j, offset, label);
        r.skip();
      } else {
        throw new SenMLError("senml_invalid_label", j, offset);
      }
    }
    out[j] = resolver.resolve(f, j, offset);
  }
  return out;
}
