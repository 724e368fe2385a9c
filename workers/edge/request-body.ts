/**
 * Every request body is read here, once, counting bytes as they stream: a body over
 * `MAX_BODY_BYTES` is a 413 whether it came with a Content-Length or chunked, and every body
 * reader after this (validators, handlers, the token endpoint) reads the cached bytes.
 *
 * Why read it all, even for a refusal: a local workerd answers the next request on a
 * keep-alive connection only once the previous request's body has been consumed (an unread
 * chunked body leaves the client's next request hanging; an unread Content-Length body is
 * parsed as the next request). So a refused body is drained up to a cap, and past the cap the
 * answer says `Connection: close`.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { canonicalContentType } from "../content";
import { numberVar } from "../../durable-objects/vars";

/** How much of a refused body is read and dropped to keep the connection usable, as a multiple of the limit. */
const DRAIN_FACTOR = 4;

/** Reads and drops up to `cap` bytes; true when the stream ended within the cap. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, cap: number): Promise<boolean> {
  let seen = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return true;
    seen += value.byteLength;
    if (seen > cap) {
      await reader.cancel().catch(() => undefined);
      return false;
    }
  }
}

function tooLarge(max: number, drained: boolean): ApiError {
  // Connection is hop-by-hop: the runtime acts on it; a deployed edge may drop it harmlessly.
  return new ApiError("payload-too-large", `The body is over the limit of ${max} bytes`, { limit: max }, drained ? {} : { connection: "close" });
}

/**
 * Reads a body stream into one buffer, refusing it past `max` bytes with a 413 (after
 * draining the rest, up to `DRAIN_FACTOR × max`).
 */
export async function readLimited(body: ReadableStream<Uint8Array>, max: number, declaredLength: number | null): Promise<Uint8Array> {
  const reader = body.getReader();
  const cap = DRAIN_FACTOR * max;
  if (declaredLength !== null && declaredLength > max) {
    if (declaredLength > cap) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(max, false);
    }
    throw tooLarge(max, await drain(reader, cap));
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > max) throw tooLarge(max, await drain(reader, cap - total));
    chunks.push(value);
  }
  if (chunks.length === 1 && chunks[0]!.byteOffset === 0 && chunks[0]!.byteLength === chunks[0]!.buffer.byteLength) return chunks[0]!;
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Middleware: reads the body (if any) within `MAX_BODY_BYTES` and caches it where Hono's
 * `c.req.json()/text()/arrayBuffer()` find it. WebSocket upgrades carry no body and pass.
 */
export function requestBody() {
  return createMiddleware<AppEnv>(async (c, next) => {
    const body = c.req.raw.body;
    if (body !== null) {
      const length = c.req.header("content-length");
      const declared = length !== undefined && /^\d+$/.test(length) ? Number(length) : null;
      const bytes = await readLimited(body, numberVar(c.env, "MAX_BODY_BYTES"), declared);
      const buffer = bytes.buffer.byteLength === bytes.byteLength ? bytes.buffer : bytes.slice().buffer;
      // Hono keeps promises in bodyCache (its type says otherwise) and derives text/json from them.
      (c.req.bodyCache as unknown as { arrayBuffer: Promise<ArrayBuffer> }).arrayBuffer = Promise.resolve(buffer as ArrayBuffer);
      // Validators read the Content-Type as written: give them its canonical form (the body is cached above).
      const type = c.req.header("content-type");
      const canonical = type && canonicalContentType(type);
      if (canonical && canonical !== type) {
        const headers = new Headers(c.req.raw.headers);
        headers.set("content-type", canonical);
        c.req.raw = new Request(c.req.raw.url, { method: c.req.raw.method, headers, cf: c.req.raw.cf });
      }
    }
    await next();
  });
}
