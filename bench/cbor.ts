/**
 * `cbor`: the WASM decoder (wasm/src) against cbor-x in the same process, one line per case:
 * {"scenario":"cbor","case":…,"metric":"ops_s","umbra":…,"cborx":…,"ratio_vs_cborx":…}.
 * Run with `npm run bench -- cbor`.
 */
import { readFileSync } from "node:fs";
import { decode as cborxDecode } from "cbor-x";
import { decode, decodeSenML, encode } from "../wasm/src/node";
import type { Line } from "./lib/report";
import type { Scenario } from "./lib/scenario";

const NOW = 1_700_000_000;
const SLICES = 5;
const SLICE_MS = 200; // five slices per side ≈ 1 s each
const WARMUP_MS = 300;

let sink = 0;
function touch(v: unknown): void {
  sink = (sink + (v === undefined ? 1 : typeof v === "object" && v !== null ? 2 : 3)) | 0;
}

/** Operations per second of `f` over about `ms` milliseconds. */
function rate(f: () => void, ms: number): number {
  let ops = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 64; i++) f();
    ops += 64;
    now = performance.now();
  }
  return (ops * 1000) / (now - start);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

/** Warms both up, then alternates slices so drift hits both alike; reports medians. */
function compare(name: string, umbra: () => void, cborx: () => void): Line {
  rate(umbra, WARMUP_MS);
  rate(cborx, WARMUP_MS);
  const u: number[] = [];
  const c: number[] = [];
  for (let k = 0; k < SLICES; k++) {
    u.push(rate(umbra, SLICE_MS));
    c.push(rate(cborx, SLICE_MS));
  }
  const umbraOps = median(u);
  const cborxOps = median(c);
  return {
    scenario: "cbor", case: name, metric: "ops_s", ok: true,
    umbra: Math.round(umbraOps), cborx: Math.round(cborxOps),
    ratio_vs_cborx: Math.round((umbraOps / cborxOps) * 100) / 100,
  };
}

// --- Appendix A mix: every vector both decoders accept, one op = one pass ------------
function decodable(b: Uint8Array): boolean {
  try {
    cborxDecode(b); // cbor-x reads some simple values as references to packed values
    return true;
  } catch {
    return false;
  }
}
function appendixA(): Line {
  const vectors = (JSON.parse(readFileSync(new URL("../test/data/cbor/appendix_a.json", import.meta.url), "utf8")) as { hex: string }[])
    .map((v) => Uint8Array.from(Buffer.from(v.hex, "hex")))
    .filter(decodable);
  return compare("appendix-a",
    () => { for (const b of vectors) touch(decode(b)); },
    () => { for (const b of vectors) touch(cborxDecode(b)); });
}

// --- ~6 KB device-shadow-like document ----------------------------------------------
function shadow(): unknown {
  const sensors = Array.from({ length: 64 }, (_, i) => ({
    id: `sensor-${i}`, kind: ["temperature", "humidity", "pressure", "co2"][i % 4],
    value: 20 + i * 0.37, unit: ["Cel", "%RH", "hPa", "ppm"][i % 4], ok: i % 5 !== 0,
    history: [i, i + 0.5, i + 1.25], updatedAt: 1_700_000_000 + i * 60,
  }));
  return {
    state: {
      desired: { led: { color: "#00ff88", brightness: 80, mode: "breathing" }, reportInterval: 60, fw: "2.4.1" },
      reported: { led: { color: "#00ff88", brightness: 75, mode: "breathing" }, reportInterval: 60, fw: "2.4.0", sensors },
    },
    metadata: { reported: { led: { color: { timestamp: 1_700_000_123 }, brightness: { timestamp: 1_700_000_124 } } } },
    version: 1234, timestamp: 1_700_000_200, clientToken: "c0ffee-token-1234567890",
    tags: ["factory-7", "line-b", "eu-west"], location: { lat: 52.5200066, lon: 13.404954, alt: 34.5 },
  };
}
function shadowDoc(): Line {
  const doc = encode(shadow()); // 5.9 KB
  return compare("shadow-6kb", () => touch(decode(doc)), () => touch(cborxDecode(doc)));
}

// --- SenML packs --------------------------------------------------------------------
function pack(n: number): Uint8Array {
  const recs: Map<number, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const m = new Map<number, unknown>();
    if (i === 0) { m.set(-2, "urn:dev:ow:10e2073a01080063:"); m.set(-3, 1.7e9); m.set(-4, "Cel"); }
    m.set(0, ["temp", "humidity", "voltage", "current"][i % 4]);
    if (i % 4 === 1) m.set(1, "%RH");
    m.set(6, -i);
    m.set(2, 20 + (i % 17) * 0.25);
    recs.push(m);
  }
  return encode(recs);
}

/** SenML resolution over cbor-x output (maps with integer labels become objects keyed "-2", "0", …). */
interface JsRecord { n: string; t: number; u?: string; v?: number; vs?: string; vb?: boolean; vd?: string; s?: number; ut?: number }
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9\-:./_]*$/;
function resolveJs(input: unknown, now: number): JsRecord[] {
  if (!Array.isArray(input)) throw new Error("not an array");
  let bn = "", bt = 0, bv = 0, bs = 0;
  let bu: string | undefined;
  const out: JsRecord[] = [];
  for (const rec of input as Record<string, unknown>[]) {
    if (typeof rec !== "object" || rec === null) throw new Error("not a record");
    for (const k in rec) if (k.endsWith("_")) throw new Error("must-understand");
    const ver = rec["-1"];
    if (ver !== undefined && (typeof ver !== "number" || ver > 10)) throw new Error("bver");
    if (rec["-2"] !== undefined) bn = rec["-2"] as string;
    if (rec["-3"] !== undefined) bt = rec["-3"] as number;
    if (rec["-4"] !== undefined) bu = rec["-4"] as string;
    if (rec["-5"] !== undefined) bv = rec["-5"] as number;
    if (rec["-6"] !== undefined) bs = rec["-6"] as number;
    const name = bn + ((rec["0"] as string | undefined) ?? "");
    if (!NAME_RE.test(name)) throw new Error("name");
    const v = rec["2"], vs = rec["3"], vb = rec["4"], vd = rec["8"], s = rec["5"];
    if ((v !== undefined ? 1 : 0) + (vs !== undefined ? 1 : 0) + (vb !== undefined ? 1 : 0) + (vd !== undefined ? 1 : 0) > 1) throw new Error("values");
    let t = bt + ((rec["6"] as number | undefined) ?? 0);
    if (t < 2 ** 28) t += now;
    const r: JsRecord = { n: name, t };
    const u = (rec["1"] as string | undefined) ?? bu;
    if (u !== undefined) r.u = u;
    if (typeof v === "number") r.v = bv + v;
    else if (typeof vs === "string") r.vs = vs;
    else if (typeof vb === "boolean") r.vb = vb;
    else if (vd instanceof Uint8Array) r.vd = Buffer.from(vd).toString("base64url");
    if (typeof s === "number") r.s = bs + s;
    if (rec["7"] !== undefined) r.ut = rec["7"] as number;
    out.push(r);
  }
  return out;
}

function senml(n: number): Line {
  const bytes = pack(n);
  const a = JSON.stringify(decodeSenML(bytes, "cbor", NOW));
  const b = JSON.stringify(resolveJs(cborxDecode(bytes), NOW));
  if (a !== b) throw new Error(`senml-${n}: implementations disagree\n${a}\n${b}`);
  return compare(`senml-${n}`, () => touch(decodeSenML(bytes, "cbor", NOW)), () => touch(resolveJs(cborxDecode(bytes), NOW)));
}

export const scenario: Scenario = {
  name: "cbor",
  async run(_args, progress) {
    const lines: Line[] = [];
    const cases: [string, () => Line][] = [["appendix-a", appendixA], ["shadow-6kb", shadowDoc], ...[1, 10, 100].map((n): [string, () => Line] => [`senml-${n}`, () => senml(n)])];
    for (const [name, run] of cases) {
      progress.set(name);
      lines.push(run());
    }
    if (sink === 0.5) progress.note(String(sink)); // keeps `touch` observable
    return lines;
  },
};
