/**
 * Helpers for the codec's unit tests: builds the WASM module if its sources changed,
 * loads it, and offers hex conversion and a diagnostic-notation printer (RFC 8949 §8).
 * @module
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createCbor } from "./cbor";
import { Simple, Tagged } from "./values";

execFileSync(process.execPath, [fileURLToPath(new URL("../../scripts/build-wasm.mjs", import.meta.url))], { stdio: "inherit" });

/** A codec instance over the freshly built module. */
const Module = WebAssembly.Module as unknown as new (b: Uint8Array) => WebAssembly.Module;
export const codec = createCbor(new Module(readFileSync(new URL("../build/cbor.wasm", import.meta.url))));

/** Bytes from a hex string. */
export function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, "hex"));
}

/** Hex string of bytes. */
export function toHex(b: Uint8Array): string {
  return Buffer.from(b).toString("hex");
}

/** Reads a JSON file under test/data/cbor/. */
export function testData<T>(name: string): T {
  return JSON.parse(readFileSync(new URL(`../../test/data/cbor/${name}`, import.meta.url), "utf8")) as T;
}

function num(v: number): string {
  if (Number.isNaN(v)) return "NaN";
  if (v === Infinity) return "Infinity";
  if (v === -Infinity) return "-Infinity";
  if (Object.is(v, -0)) return "-0.0";
  return String(v);
}

/** Diagnostic notation of a decoded value (enough of §8 for the Appendix A vectors). */
export function diagnostic(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (typeof v === "number") return num(v);
  if (typeof v === "bigint" || typeof v === "boolean") return String(v);
  if (typeof v === "string") return JSON.stringify(v);
  if (v instanceof Uint8Array) return `h'${toHex(v)}'`;
  if (v instanceof Tagged) return `${v.tag}(${diagnostic(v.value)})`;
  if (v instanceof Simple) return `simple(${v.value})`;
  if (Array.isArray(v)) return `[${v.map(diagnostic).join(", ")}]`;
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${diagnostic(k)}: ${diagnostic(x)}`).join(", ")}}`;
  if (typeof v === "object") {
    return `{${Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${diagnostic(x)}`).join(", ")}}`;
  }
  return String(v);
}
