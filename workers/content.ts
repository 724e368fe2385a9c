/**
 * Request and response bodies in JSON or CBOR (RFC 8949, decoded by the WebAssembly decoder at
 * the edge), validated against the route's schema.
 */
import type { Context } from "hono";
import type { z } from "@hono/zod-openapi";
import type { AppEnv } from "./app-env";
import { ApiError, validationError } from "./errors";
import { isJsonValue } from "../protocols/json-value";
import { CborError, decode as decodeCbor, encode as encodeCbor } from "../wasm/src/worker";

/** Media types Umbra reads and writes besides JSON. */
export const CBOR = "application/cbor";

/** The media type of a request body, without parameters, lowercased. */
export function mediaType(c: Context<AppEnv>): string {
  return (c.req.header("content-type") ?? "").split(";")[0]?.trim().toLowerCase() ?? "";
}

/**
 * Decodes CBOR bytes that must stand for JSON (text-keyed maps, arrays, text, finite numbers,
 * booleans, null): a decoder error is a 400 naming the byte offset, and values JSON cannot
 * hold (tags, byte strings, undefined, bignums) are a 400 too, since everything stored is JSON.
 */
export function cborValue(bytes: Uint8Array): unknown {
  let value: unknown;
  try {
    value = decodeCbor(bytes);
  } catch (err) {
    if (err instanceof CborError) {
      throw new ApiError("malformed-cbor", `The body is not valid CBOR: ${err.code} at byte ${err.offset}`, { reason: err.code, offset: err.offset });
    }
    throw err;
  }
  if (!isJsonValue(value)) throw new ApiError("invalid-request", "The CBOR body holds values JSON cannot (tags, byte strings, undefined or non-text map keys)");
  return value;
}

/** Parses JSON bytes/text, turning a syntax error into a 400. */
export function jsonValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ApiError("malformed-json", "The body is not valid JSON");
  }
}

/** Reads a JSON or CBOR body and validates it (malformed → 400, invalid → 400, other types → 415). */
export async function readBody<T extends z.ZodType>(c: Context<AppEnv>, schema: T): Promise<z.infer<T>> {
  const type = mediaType(c);
  let value: unknown;
  if (type === CBOR) value = cborValue(new Uint8Array(await c.req.arrayBuffer()));
  else if (type === "application/json" || type.endsWith("+json") || type === "") value = jsonValue(await c.req.text());
  else throw new ApiError("unsupported-media-type", `Send application/json or ${CBOR}`);
  const r = schema.safeParse(value);
  if (!r.success) throw validationError(r.error.issues);
  return r.data;
}

/** Answers `body` as CBOR when the client asks for it (`Accept: application/cbor`), else JSON. */
export function negotiated(c: Context<AppEnv>, body: unknown, status: 200 | 201 | 202 = 200): Response {
  if ((c.req.header("accept") ?? "").toLowerCase().includes(CBOR)) {
    return new Response(encodeCbor(body), { status, headers: { "content-type": CBOR, vary: "accept" } });
  }
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", vary: "accept" } });
}
