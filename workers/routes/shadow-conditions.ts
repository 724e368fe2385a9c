/**
 * HTTP conditional requests on shadows (RFC 9110 §13), as CoAP already has them: a read carries
 * an ETag per version and representation, and `If-None-Match` naming it answers 304; a write or
 * delete with `If-Match` runs only while the shadow is at a version it names (else 412). The
 * write then carries that version, so the device's object checks it in the same step as the
 * change: a change in between is a 412, never a lost update. (`version` in the body, AWS's way,
 * keeps answering 409.) `If-None-Match` on a write (`*`: create only) is checked with the write too.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";
import { wantsCbor } from "../content";
import type { ShadowReply } from "../../durable-objects/device/device-object";
import { shadowReply } from "./shadow-reply";
import type { ShadowCondition } from "../../shadow/shadow-condition";

/** The ETag of shadow version `version` as sent: its JSON and CBOR bytes differ, so their tags do too. */
export function shadowEtag(version: number, cbor: boolean): string {
  return cbor ? `"${version}-cbor"` : `"${version}"`;
}

/**
 * The entity tags of an If-Match / If-None-Match value, "*" for any. `weak`: keep `W/` tags as
 * their opaque part (If-None-Match compares weakly); otherwise drop them (If-Match compares strongly).
 * @example entityTags('"3", W/"4", "5-cbor"', false) // ['"3"', '"5-cbor"']
 */
export function entityTags(header: string, weak: boolean): "*" | string[] {
  if (header.trim() === "*") return "*";
  const out: string[] = [];
  for (const m of header.matchAll(/\s*(W\/)?("[^"]*")\s*(?:,|$)/g)) if (weak || m[1] === undefined) out.push(m[2]!);
  return out;
}

/** Whether an If-Match list names version `version` in either representation (it compares the shadow's state). */
export function namesVersion(tags: "*" | string[], version: number): boolean {
  return tags === "*" || tags.includes(shadowEtag(version, false)) || tags.includes(shadowEtag(version, true));
}

/** A read: 304 when If-None-Match names what would be sent, else the shadow with its ETag. */
export function conditionalRead(c: Context<AppEnv>, reply: ShadowReply): Response {
  const version = reply.body.version;
  if (reply.status !== 200 || typeof version !== "number") return shadowReply(c, reply);
  const etag = shadowEtag(version, wantsCbor(c));
  const none = c.req.header("if-none-match");
  if (none !== undefined) {
    const tags = entityTags(none, true);
    if (tags === "*" || tags.includes(etag)) return new Response(null, { status: 304, headers: { etag, vary: "accept" } });
  }
  const res = shadowReply(c, reply);
  res.headers.set("etag", etag);
  return res;
}

/**
 * A conditional write or delete. If-Match: the shadow must exist at a version the header names,
 * and the write runs at that version (`run` gets it; a version in the body wins and keeps its
 * 409). If-None-Match goes with the write as a condition the device's object checks in the
 * same step, so of two creators racing with `*` one gets 412.
 */
export async function conditionalWrite(
  c: Context<AppEnv>,
  read: () => Promise<ShadowReply>,
  run: (version: number | undefined, condition: ShadowCondition | undefined) => Promise<ShadowReply>,
  bodyVersion: number | undefined,
): Promise<Response> {
  const none = c.req.header("if-none-match");
  const condition = none === undefined ? undefined : { notAt: taggedVersions(entityTags(none, true)) };
  const header = c.req.header("if-match");
  let reply: ShadowReply;
  if (header === undefined) reply = await run(bodyVersion, condition);
  else {
    const current = await read();
    const version = current.status === 200 ? current.body.version : undefined;
    if (typeof version !== "number" || !namesVersion(entityTags(header, false), version)) throw preconditionFailed("If-Match", header);
    reply = await run(bodyVersion ?? version, condition);
    if (reply.status === 409 && bodyVersion === undefined) throw preconditionFailed("If-Match", header);
  }
  if (reply.status === 412 && none !== undefined) throw preconditionFailed("If-None-Match", none);
  return shadowReply(c, reply);
}

/** The versions entity tags name (`"3"` and `"3-cbor"` both name 3); `*` stays any. */
export function taggedVersions(tags: "*" | string[]): "*" | number[] {
  if (tags === "*") return "*";
  return tags.flatMap((t) => /^"(0|[1-9]\d{0,14})(?:-cbor)?"$/.exec(t)?.[1] ?? []).map(Number);
}

function preconditionFailed(name: "If-Match" | "If-None-Match", header: string): ApiError {
  const why = name === "If-Match" ? "is not at a version If-Match names" : "exists at a version If-None-Match names";
  return new ApiError("precondition-failed", `The shadow ${why} (${header.slice(0, 100)})`);
}
