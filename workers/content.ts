/**
 * Request and response bodies in JSON or CBOR (RFC 8949, decoded by the WebAssembly decoder at
 * the edge), validated against the route's schema. `bodyOf` is attached by `secured()` to
 * every route that declares a body, so no route can read a body of a type it did not declare
 * (`@hono/zod-openapi` would otherwise skip validation) or parse JSON nested past the limit.
 */
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { ApiError, validationError } from "./errors";
import { isJsonValue } from "../protocols/json-value";
import { parseJsonBounded, scanJsonDepth } from "../protocols/json-depth";
import { numberVar } from "../durable-objects/vars";
import { CborError, decode as decodeCbor, encode as encodeCbor } from "../wasm/src/worker";

/** Media types Umbra reads and writes besides JSON. */
export const CBOR = "application/cbor";

/** The media type of a request body, without parameters, lowercased. */
export function mediaType(c: Context<AppEnv>): string {
  return (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * A Content-Type written canonically: type and subtype lowercased, no whitespace around `/`, `;`
 * or `=` (RFC 9110 §8.3.1: case-insensitive; §5.6.6: optional whitespace around `;`). Parameters
 * keep their values. Routing's validators compare the header as written, so a body sent as
 * `Application/JSON` or `application/json ;charset=utf-8` was not validated and read as empty.
 * @example canonicalContentType("Application/JSON ; Charset=UTF-8") // "application/json; charset=UTF-8"
 */
export function canonicalContentType(value: string): string {
  const [type = "", ...params] = value.split(";");
  const rest = params
    .map((p) => p.trim())
    .filter((p) => p !== "")
    .map((p) => {
      const eq = p.indexOf("=");
      return eq < 0 ? p.toLowerCase() : `${p.slice(0, eq).trim().toLowerCase()}=${p.slice(eq + 1).trim()}`;
    });
  return [type.replace(/\s+/g, "").toLowerCase(), ...rest].join("; ");
}

/** True for `application/json` and the `+json` structured suffix (RFC 6839). */
export const isJsonMedia = (type: string): boolean => type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"));

/** The 415 for a body of a type the route does not take, naming the ones it does. */
export function unsupportedMedia(method: string, accepted: readonly string[], got: string): ApiError {
  const header = method === "PATCH" ? "accept-patch" : "accept-post";
  return new ApiError(
    "unsupported-media-type",
    `${got ? `Content-Type ${got} is not accepted here` : "A Content-Type is required"}: send ${accepted.join(" or ")}`,
    { accepted },
    { [header]: accepted.join(", ") },
  );
}

/**
 * Middleware for a route that takes a body in the `accepted` media types: a missing or other
 * Content-Type is a 415, and JSON nested deeper than `JSON_MAX_DEPTH` is a 400 before anything
 * parses it. An empty optional body is no body, whatever its type says (clients that always send
 * `Content-Type: application/json` send it on an empty POST too).
 */
export function bodyOf(accepted: readonly string[], required: boolean) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const type = mediaType(c);
    const bytes = new Uint8Array(await c.req.arrayBuffer());
    if (!required && bytes.byteLength === 0) {
      if (type !== "") {
        // Without a type the body validator takes none (it would parse "" as JSON and fail).
        const headers = new Headers(c.req.raw.headers);
        headers.delete("content-type");
        c.req.raw = new Request(c.req.url, { method: c.req.method, headers, cf: c.req.raw.cf });
      }
      return next();
    }
    if (!accepted.includes(type)) throw unsupportedMedia(c.req.method, accepted, type);
    if (isJsonMedia(type)) {
      checkUtf8(bytes);
      checkDepth(bytes, numberVar(c.env, "JSON_MAX_DEPTH"));
    }
    await next();
  });
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** RFC 8259 §8.1: JSON is UTF-8. Decoded leniently, other bytes became U+FFFD and were stored so. */
function checkUtf8(bytes: Uint8Array): void {
  try {
    utf8.decode(bytes);
  } catch {
    throw new ApiError("malformed-json", "The body is not UTF-8 (RFC 8259 §8.1)");
  }
}

/** Refuses JSON text or bytes nested deeper than `maxDepth` (a 400 naming the limit), before anything parses them. */
export function checkDepth(input: string | Uint8Array, maxDepth: number): void {
  const scan = scanJsonDepth(input, maxDepth);
  if (!scan.ok) throw new ApiError("invalid-request", `The body nests deeper than ${maxDepth} levels (at byte ${scan.offset})`, { reason: "too_deep", limit: maxDepth });
}

/**
 * Decodes CBOR bytes that must stand for JSON (text-keyed maps, arrays, text, finite numbers,
 * booleans, null): a decoder error is a 400 naming the byte offset, nesting past `maxDepth` is
 * a 400 (the decoder stops there), and values JSON cannot hold (tags, byte strings, undefined,
 * bignums) are a 400 too, since everything stored is JSON.
 */
export function cborValue(bytes: Uint8Array, maxDepth: number): unknown {
  let value: unknown;
  try {
    value = decodeCbor(bytes, { maxDepth });
  } catch (err) {
    if (err instanceof CborError && err.code === "too_deep") {
      throw new ApiError("invalid-request", `The body nests deeper than ${maxDepth} levels`, { reason: "too_deep", limit: maxDepth });
    }
    if (err instanceof CborError) {
      throw new ApiError("malformed-cbor", `The body is not valid CBOR: ${err.code} at byte ${err.offset}`, { reason: err.code, offset: err.offset });
    }
    throw err;
  }
  if (!isJsonValue(value, maxDepth)) throw new ApiError("invalid-request", "The CBOR body holds values JSON cannot (tags, byte strings, undefined, simple values, non-text map keys, NaN or infinities, or integers past ±(2^53−1))");
  return value;
}

/** Parses JSON text within `maxDepth` levels: too deep or a syntax error is a 400. */
export function jsonValue(text: string, maxDepth: number): unknown {
  const r = parseJsonBounded(text, maxDepth);
  if (r.ok) return r.value;
  if (r.reason === "too_deep") throw new ApiError("invalid-request", `The body ${r.message.replace(/^JSON /, "")}`, { reason: "too_deep", limit: maxDepth });
  throw new ApiError("malformed-json", "The body is not valid JSON");
}

/** Reads a JSON or CBOR body and validates it (malformed → 400, invalid → 400, other types → 415). */
export async function readBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const type = mediaType(c);
  const maxDepth = numberVar(c.env, "JSON_MAX_DEPTH");
  let value: unknown;
  if (type === CBOR) value = cborValue(new Uint8Array(await c.req.arrayBuffer()), maxDepth);
  else if (isJsonMedia(type) || type === "") value = jsonValue(await c.req.text(), maxDepth);
  else throw unsupportedMedia(c.req.method, ["application/json", CBOR], type);
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}

/** Whether the client asks for CBOR answers (`Accept: application/cbor`). */
export const wantsCbor = (c: Context<AppEnv>): boolean => (c.req.header("accept") ?? "").toLowerCase().includes(CBOR);

/** Answers `body` as CBOR when the client asks for it ({@link wantsCbor}), else JSON. */
export function negotiated(c: Context<AppEnv>, body: unknown, status: 200 | 201 | 202 = 200): Response {
  if (wantsCbor(c)) {
    return new Response(encodeCbor(body), { status, headers: { "content-type": CBOR, vary: "accept" } });
  }
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", vary: "accept" } });
}
