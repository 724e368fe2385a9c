/**
 * The request path of a CoAP session: checks, authentication, routing, block-wise transfers
 * and the resource, then `fitResponse`, which makes every response fit the peer.
 */
import { blockOption } from "./block";
import type { Block1Assembler, Block2Cache } from "./blockwise";
import { chooseBlock2Szx, sliceBlock2 } from "./blockwise";
import type { CoapMessage, CoapOption } from "./codec";
import { encode } from "./codec";
import { Code, codeClass } from "./codes";
import type { CoapHost, CoapSessionState, ShadowFormat } from "./host";
import { deregisterObserver, registerObserver } from "./observe";
import { ContentFormat, Option, bytesEqual, getOption, getUintOption, toHex, uintOption } from "./options";
import type { ParsedRequest } from "./request";
import { isRejection, parseRequest } from "./request";
import type { Route } from "./resources";
import { allowedMethods, type ObserveControl, deleteShadow, getCalls, getDelta, getShadow, postAnswer, postTelemetry, route, updateShadow } from "./resources";
import { errorReply, reply } from "./responses";
import { DEFAULT_CSM } from "./signaling";

/** What the request path needs from the session that runs it. */
export interface PipelineContext {
  host: CoapHost;
  state: CoapSessionState;
  maxPayload: number;
  maxObservers: number;
  /** Largest block sent unasked; also the largest 2.04 body echoed (see `updateShadow`). */
  blockSize: number;
  block1: Block1Assembler;
  block2: Block2Cache;
  markDirty(): void;
}

/**
 * Answers one request (code class 0). Order: option check (4.02), authentication (4.01),
 * proxying (5.05), routing (4.04, 4.05, 4.06), Block2 follow-ups, Block1 / size (2.31,
 * 4.08, 4.13), the resource, then Block2 splitting of the response. Whatever the path, the
 * answer fits the peer's Max-Message-Size.
 */
export async function handleRequest(ctx: PipelineContext, msg: CoapMessage): Promise<CoapMessage> {
  return limitToPeer(await answer(ctx, msg), (ctx.state.peerCsm ?? DEFAULT_CSM).maxMessageSize);
}

async function answer(ctx: PipelineContext, msg: CoapMessage): Promise<CoapMessage> {
  const parsed = parseRequest(msg);
  if (isRejection(parsed)) return errorReply(msg.token, parsed.code, parsed.diagnostic);
  const req = parsed;
  const denied = await authenticate(ctx, req);
  if (denied !== null) return denied;
  // RFC 7252 §5.7.2: not a proxy
  if (req.proxy) return errorReply(req.token, Code.PROXYING_NOT_SUPPORTED, "proxying not supported");
  const r = route(req.path);
  if (r === null) return errorReply(req.token, Code.NOT_FOUND, `no resource /${req.path.join("/")}`);
  if (!allowedMethods(r).includes(req.method)) return errorReply(req.token, Code.METHOD_NOT_ALLOWED, "method not allowed");
  let accept: ShadowFormat = ContentFormat.JSON;
  if (req.accept !== undefined) {
    // RFC 7252 §5.10.4: every answer with a body (telemetry's and a command's too) is JSON or CBOR; checked before anything runs
    if (req.accept !== ContentFormat.JSON && req.accept !== ContentFormat.CBOR) {
      return errorReply(req.token, Code.NOT_ACCEPTABLE, "accept 50 (JSON) or 60 (CBOR)");
    }
    accept = req.accept;
  }
  const key = representationKey(r.key, accept);

  // The device's message rate, as over MQTT and the JSON socket: every request counts, each block
  // of a block-wise transfer too, and over it the request gets 4.29 with how long to wait (RFC
  // 8516) before anything of it is kept, so repeating it then works. Not counted, as over JSON: a
  // command's or method's answer (it answers the hub's own request), and cancelling an observation.
  if (r.kind !== "answer" && req.observe !== 1) {
    const wait = ctx.host.admit?.() ?? 0;
    if (wait > 0) return errorReply(req.token, Code.TOO_MANY_REQUESTS, "over the device's message rate", [uintOption(Option.MAX_AGE, Math.ceil(wait / 1000))]);
  }

  // RFC 7959 §2.4: later blocks of a response come from the representation cut at block 0
  if (req.block2 !== undefined && req.block2.num > 0) {
    const cached = ctx.block2.get(key);
    if (cached !== undefined) return fitResponse(ctx, { ...cached, token: req.token }, req, key);
    if (req.method !== Code.GET) return errorReply(req.token, Code.REQUEST_ENTITY_INCOMPLETE, "block-wise response expired");
    req.observe = undefined; // RFC 7959 §3.4: later blocks neither register nor deregister
  }

  let payload = req.payload;
  let block1Echo: CoapOption | undefined;
  if (req.method === Code.POST) {
    if (req.block1 !== undefined) {
      const { num, szx } = req.block1;
      const res = ctx.block1.add(`${req.method}:${r.key}`, req.block1, req.payload, req.size1, ctx.maxPayload);
      switch (res.kind) {
        case "continue": // RFC 7959 §2.3: acknowledged in the client's own block size
          return reply(req.token, Code.CONTINUE, [blockOption(Option.BLOCK1, { num, more: true, szx })]);
        case "incomplete": // RFC 7959 §2.9.2
          return errorReply(req.token, Code.REQUEST_ENTITY_INCOMPLETE, "block out of sequence");
        case "too-large":
          return tooLarge(ctx, req);
        case "complete":
          payload = res.payload;
          block1Echo = blockOption(Option.BLOCK1, { num, more: false, szx });
          break;
      }
    } else if (payload.length > ctx.maxPayload || (req.size1 ?? 0) > ctx.maxPayload) {
      return tooLarge(ctx, req);
    }
  }

  const full = await runResource(ctx, r, req, payload, accept);
  if (block1Echo !== undefined) full.options.push(block1Echo);
  return fitResponse(ctx, full, req, key);
}

/** The Block2 cache key of a resource in one content format. */
export function representationKey(resourceKey: string, accept: ShadowFormat): string {
  return `${resourceKey}|${accept}`;
}

/**
 * The first request must carry `auth=<token>` (Mainflux convention); then the connection is bound
 * and later requests may omit it. A later request that carries one must carry a token of the bound
 * device: over UDP (through the gateway) a connection is an address and port, which a NAT may give
 * to another client; whoever sends another device's token, or a wrong one, gets 4.01, not the
 * first device's session.
 */
async function authenticate(ctx: PipelineContext, req: ParsedRequest): Promise<CoapMessage | null> {
  const args = req.query.filter((q) => q.startsWith("auth="));
  // Two tokens: which would it run as? None: a request carries one credential.
  if (args.length > 1) return errorReply(req.token, Code.UNAUTHORIZED, "more than one auth= in Uri-Query: send one device token");
  const arg = args[0];
  if (arg === undefined) return ctx.state.authenticated ? null : errorReply(req.token, Code.UNAUTHORIZED, "auth=<token> required in Uri-Query");
  const verdict = await ctx.host.authenticate(arg.slice("auth=".length));
  // Locked out like HTTP's 429 and MQTT's 0x9F: a device must not take it for a revoked token.
  if (typeof verdict === "object") return errorReply(req.token, Code.TOO_MANY_REQUESTS, "too many failed authentications from this address", [uintOption(Option.MAX_AGE, verdict.retryAfterSeconds)]);
  if (!verdict) {
    return errorReply(req.token, Code.UNAUTHORIZED, ctx.state.authenticated ? "not a token of the device this connection is bound to" : "invalid device token");
  }
  if (!ctx.state.authenticated) {
    ctx.state.authenticated = true;
    ctx.markDirty();
  }
  return null;
}

/** RFC 7959 §2.9.3: 4.13 carries Size1, the largest body the server accepts. */
function tooLarge(ctx: PipelineContext, req: ParsedRequest): CoapMessage {
  return errorReply(req.token, Code.REQUEST_ENTITY_TOO_LARGE, `payload larger than ${ctx.maxPayload} bytes`, [uintOption(Option.SIZE1, ctx.maxPayload)]);
}

function runResource(ctx: PipelineContext, r: Route, req: ParsedRequest, payload: Uint8Array, accept: ShadowFormat): Promise<CoapMessage> {
  switch (r.kind) {
    case "shadow":
      if (req.method === Code.GET) return getShadow(ctx.host, req, r.name, accept);
      if (req.method === Code.POST) return updateShadow(ctx.host, req, payload, r.name, accept, ctx.blockSize);
      return deleteShadow(ctx.host, req, r.name, accept);
    case "delta":
      return getDelta(ctx.host, req, r.name, accept, observeControl(ctx, req));
    case "calls":
      return getCalls(ctx.host, req, r.resource, accept, observeControl(ctx, req));
    case "answer":
      return postAnswer(ctx.host, req, payload, r.resource, r.id, accept);
    case "telemetry":
      return postTelemetry(ctx.host, req, payload, accept);
  }
}

/** Registers and removes this request's observation in the connection's state. */
function observeControl(ctx: PipelineContext, req: ParsedRequest): ObserveControl {
  const token = toHex(req.token);
  // RFC 7959 §2.4: a Block2 size in the registration holds for its notifications too
  const szx = req.block2 === undefined ? undefined : Math.min(req.block2.szx, 6);
  return {
    register: (resource, fmt) => {
      const entry = registerObserver(ctx.state, token, resource, fmt, ctx.maxObservers, szx);
      if (entry !== null) ctx.markDirty();
      return entry?.seq ?? null;
    },
    deregister: () => {
      if (deregisterObserver(ctx.state, token)) ctx.markDirty();
    },
  };
}

/**
 * Makes a response fit the peer (RFC 8323 §5.3.1, RFC 7959 §2.4): whole when it fits one block,
 * else cut into Block2 blocks (the whole cached under `key` for the follow-up requests), else
 * — for a peer that cannot take blocks — a 5.00 saying so. Errors are never cut. `preferredSzx` is a block size the
 * client chose earlier (its Observe registration's Block2). Nothing bigger than the peer's
 * Max-Message-Size leaves here.
 */
export function fitResponse(
  ctx: Pick<PipelineContext, "state" | "block2" | "blockSize">,
  full: CoapMessage,
  req: Pick<ParsedRequest, "block1" | "block2"> | undefined,
  key: string,
  preferredSzx?: number,
): CoapMessage {
  const peer = ctx.state.peerCsm ?? DEFAULT_CSM;
  // An error's diagnostic is no representation to fetch in blocks: it goes whole, shortened if need be.
  if (codeClass(full.code) !== 2) return limitToPeer(full, peer.maxMessageSize);
  // a Block1 transfer's final response comes in the client's own block size (RFC 7959 §2.3)
  const requestedSzx = req?.block2?.szx ?? preferredSzx ?? req?.block1?.szx;
  const clientBlockWise = req?.block1 !== undefined || req?.block2 !== undefined;
  const szx = chooseBlock2Szx(full, { peer, blockSize: ctx.blockSize, requestedSzx, clientBlockWise });
  if (szx === "too-big") return limitToPeer(full, peer.maxMessageSize);
  if (szx === null) return full;
  const num = req?.block2?.num ?? 0;
  if (num === 0 && full.payload.length <= 1 << (szx + 4) && encode(full).length <= peer.maxMessageSize) return full;
  // One ETag, one rendering: a representation already cut keeps its bytes (a shadow's
  // `timestamp` would otherwise differ between two transfers of one version).
  const cached = ctx.block2.get(key);
  const cut = cached !== undefined && sameRepresentation(cached, full) ? { ...full, payload: cached.payload } : full;
  ctx.block2.put(key, cut);
  // RFC 7959 §2.4: a block number past the end is 4.02 Bad Option
  return sliceBlock2(cut, num, szx) ?? errorReply(full.token, Code.BAD_OPTION, "block number past the end");
}

/** Same code, Content-Format and ETag: the same representation (RFC 7252 §5.10.6). */
function sameRepresentation(a: CoapMessage, b: CoapMessage): boolean {
  const etag = (m: CoapMessage) => getOption(m, Option.ETAG);
  const ea = etag(a);
  const eb = etag(b);
  return a.code === b.code && ea !== undefined && eb !== undefined && bytesEqual(ea, eb) && getUintOption(a, Option.CONTENT_FORMAT) === getUintOption(b, Option.CONTENT_FORMAT);
}

/** The refusal of a response the peer cannot receive: 5.00 naming the size, Size2 the representation's. */
function tooBigForPeer(full: CoapMessage, max: number): CoapMessage {
  const size = encode(full).length;
  const message = `a ${size}-byte response exceeds your Max-Message-Size ${max}; announce Block-Wise-Transfer in your CSM or ask with Block2`;
  const size2 = codeClass(full.code) === 2 ? [uintOption(Option.SIZE2, full.payload.length)] : [];
  return errorReply(full.token, Code.INTERNAL_SERVER_ERROR, message, size2);
}

/**
 * RFC 8323 §5.3.1: nothing bigger than `max` leaves. A response that does not fit becomes the
 * 5.00 refusal (or, for an error, keeps its code); failing that a short diagnostic, then none.
 */
export function limitToPeer(msg: CoapMessage, max: number): CoapMessage {
  if (encode(msg).length <= max) return msg;
  const refusal = codeClass(msg.code) === 2 ? tooBigForPeer(msg, max) : msg;
  if (refusal !== msg && encode(refusal).length <= max) return refusal;
  const short = errorReply(msg.token, refusal.code, "response too large for your Max-Message-Size");
  if (encode(short).length <= max) return short;
  return { code: refusal.code, token: msg.token, options: [], payload: new Uint8Array(0) };
}
