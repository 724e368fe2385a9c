/**
 * SenML JSON (RFC 8428 §5): labels are the strings of §4.1's table.
 * @module
 */
import { SenMLError } from "./errors";
import { RecordFields, Resolver, type SenMLRecord } from "./senml";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });
/** base64url without padding (RFC 4648 §5): no length leaves one character over (≡ 1 mod 4). */
const B64URL_RE = /^(?:[A-Za-z0-9_-]{4})*(?:[A-Za-z0-9_-]{2,3})?$/;

function str(v: unknown, i: number, key: string): string {
  if (typeof v !== "string") throw new SenMLError("senml_invalid_field", i, -1, key);
  return v;
}

function num(v: unknown, i: number, key: string): number {
  if (typeof v !== "number") throw new SenMLError("senml_invalid_field", i, -1, key);
  return v;
}

/** Reads one JSON record into `f`. */
function readRecord(rec: Record<string, unknown>, f: RecordFields, i: number): void {
  for (const key of Object.keys(rec)) {
    const v = rec[key];
    switch (key) {
      case "bn": f.bn = str(v, i, key); break;
      case "bt": f.bt = num(v, i, key); break;
      case "bu": f.bu = str(v, i, key); break;
      case "bv": f.bv = num(v, i, key); break;
      case "bs": f.bs = num(v, i, key); break;
      case "bver": f.bver = num(v, i, key); break;
      case "n": f.n = str(v, i, key); break;
      case "u": f.u = str(v, i, key); break;
      case "v": f.v = num(v, i, key); break;
      case "vs": f.vs = str(v, i, key); break;
      case "vb":
        if (typeof v !== "boolean") throw new SenMLError("senml_invalid_field", i, -1, key);
        f.vb = v;
        break;
      case "vd":
        if (!B64URL_RE.test(str(v, i, key))) throw new SenMLError("senml_invalid_field", i, -1, key);
        f.vd = v as string;
        break;
      case "s": f.s = num(v, i, key); break;
      case "t": f.t = num(v, i, key); break;
      case "ut": f.ut = num(v, i, key); break;
      default:
        // §4.4: a label ending in "_" must be understood; other unknown labels are ignored.
        if (key.endsWith("_")) throw new SenMLError("senml_mandatory_field", i, -1, key);
    }
  }
}

/** Decodes and resolves a SenML JSON pack. */
export function senmlFromJson(bytes: Uint8Array, now: number): SenMLRecord[] {
  let pack: unknown;
  try {
    pack = JSON.parse(utf8.decode(bytes));
  } catch {
    throw new SenMLError("senml_invalid_json", -1);
  }
  if (!Array.isArray(pack)) throw new SenMLError("senml_not_array", -1);
  const resolver = new Resolver(now);
  const f = new RecordFields();
  const out = new Array<SenMLRecord>(pack.length);
  for (let i = 0; i < pack.length; i++) {
    const rec: unknown = pack[i];
    if (typeof rec !== "object" || rec === null || Array.isArray(rec)) throw new SenMLError("senml_not_record", i);
    f.reset();
    readRecord(rec as Record<string, unknown>, f, i);
    out[i] = resolver.resolve(f, i, -1);
  }
  return out;
}
