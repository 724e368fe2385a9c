import { blockOption, blockSize } from "./block";
import type { Block1Assembler, Block2Cache } from "./blockwise";
import { chooseBlock2Szx, sliceBlock2 } from "./blockwise";
import type { CoapMessage, CoapOption } from "./codec";
import { Code } from "./codes";
import type { CoapHost, CoapSessionState, ShadowFormat } from "./host";
import { deregisterObserver, registerObserver } from "./observe";
import { ContentFormat, Option, toHex, uintOption } from "./options";
import type { ParsedRequest } from "./request";
import { isRejection, parseRequest } from "./request";
import type { Route } from "./resources";
import { allowedMethods, deleteShadow, getDelta, getShadow, postTelemetry, route, updateShadow } from "./resources";
import { awsError, bodyReply, diagnosticReply, reply } from "./responses";
import { DEFAULT_CSM } from "./signaling";

/** What the request path needs from the session that runs it. */
export interface PipelineContext {
  host: CoapHost;
  state: CoapSessionState;
  maxPayload: number;
  maxObservers: number;
  block1: Block1Assembler;
  block2: Block2Cache;
  markDirty(): void;
}

/**
 * Answers one request (code class 0). Order: option check (4.02), authentication (4.01),
 * proxying (5.05), routing (4.04, 4.05, 4.06), Block2 follow-ups, Block1 / size (2.31,
 * 4.08, 4.13), the resource, then Block2 splitting of the response.
 */
export async function handleRequest(ctx: PipelineContext, msg: CoapMessage): Promise<CoapMessage> {
  const parsed = parseRequest(msg);
  if (isRejection(parsed)) return diagnosticReply(msg.token, parsed.code, parsed.diagnostic);
  const req = parsed;
  const denied = await authenticate(ctx, req);
  if (denied !== null) return denied;
  // RFC 7252 §5.7.2: not a proxy
  if (req.proxy) return diagnosticReply(req.token, Code.PROXYING_NOT_SUPPORTED, "proxying not supported");
  const r = route(req.path);
  if (r === null) return diagnosticReply(req.token, Code.NOT_FOUND, `no resource /${req.path.join("/")}`);
  if (!allowedMethods(r).includes(req.method)) return diagnosticReply(req.token, Code.METHOD_NOT_ALLOWED, "method not allowed");
  let accept: ShadowFormat = ContentFormat.JSON;
  if (r.kind !== "telemetry" && req.accept !== undefined) {
    // RFC 7252 §5.10.4
    if (req.accept !== ContentFormat.JSON && req.accept !== ContentFormat.CBOR) {
      return diagnosticReply(req.token, Code.NOT_ACCEPTABLE, "accept 50 (JSON) or 60 (CBOR)");
    }
    accept = req.accept;
  }

  // RFC 7959 §2.4: later blocks of a response come from the representation cut at block 0
  if (req.block2 !== undefined && req.block2.num > 0) {
    const cached = ctx.block2.get(r.key);
    if (cached !== undefined) return sliceOrBadOption({ ...cached, token: req.token }, req.block2.num, Math.min(req.block2.szx, 6));
    if (req.method !== Code.GET) return diagnosticReply(req.token, Code.REQUEST_ENTITY_INCOMPLETE, "block-wise response expired");
    req.observe = undefined; // RFC 7959 §3.4: later blocks neither register nor deregister
  }

  let payload = req.payload;
  let block1Echo: CoapOption | undefined;
  if (req.method === Code.POST) {
    if (req.block1 !== undefined) {
      const { num, szx } = req.block1;
      const res = ctx.block1.add(`${req.method}:${r.key}`, req.block1, req.payload, req.size1, ctx.maxPayload);
      switch (res.kind) {
        case "continue": // RFC 7959 §2.3
          return reply(req.token, Code.CONTINUE, [blockOption(Option.BLOCK1, { num, more: true, szx })]);
        case "incomplete": // RFC 7959 §2.9.2
          return diagnosticReply(req.token, Code.REQUEST_ENTITY_INCOMPLETE, "block out of sequence");
        case "too-large":
          return tooLarge(ctx, req, r, accept);
        case "complete":
          payload = res.payload;
          block1Echo = blockOption(Option.BLOCK1, { num, more: false, szx });
          break;
      }
    } else if (payload.length > ctx.maxPayload || (req.size1 ?? 0) > ctx.maxPayload) {
      return tooLarge(ctx, req, r, accept);
    }
  }

  const full = await runResource(ctx, r, req, payload, accept);
  if (block1Echo !== undefined) full.options.push(block1Echo);
  return fitResponse(ctx, full, req, r.key);
}

/** The first request must carry `auth=<token>` (Mainflux convention); then the connection is bound. */
async function authenticate(ctx: PipelineContext, req: ParsedRequest): Promise<CoapMessage | null> {
  if (ctx.state.authenticated) return null;
  const arg = req.query.find((q) => q.startsWith("auth="));
  if (arg === undefined) return diagnosticReply(req.token, Code.UNAUTHORIZED, "auth=<token> required in Uri-Query");
  if (!(await ctx.host.authenticate(arg.slice("auth=".length)))) {
    return diagnosticReply(req.token, Code.UNAUTHORIZED, "invalid device token");
  }
  ctx.state.authenticated = true;
  ctx.markDirty();
  return null;
}

/** RFC 7959 §2.9.3: 4.13 carries Size1, the largest body the server accepts. */
function tooLarge(ctx: PipelineContext, req: ParsedRequest, r: Route, accept: ShadowFormat): CoapMessage {
  const size1 = [uintOption(Option.SIZE1, ctx.maxPayload)];
  const message = `payload larger than ${ctx.maxPayload} bytes`;
  if (r.kind === "telemetry") return diagnosticReply(req.token, Code.REQUEST_ENTITY_TOO_LARGE, message, size1);
  return bodyReply(ctx.host, req.token, Code.REQUEST_ENTITY_TOO_LARGE, awsError(413, message), accept, size1);
}

function runResource(ctx: PipelineContext, r: Route, req: ParsedRequest, payload: Uint8Array, accept: ShadowFormat): Promise<CoapMessage> {
  switch (r.kind) {
    case "shadow":
      if (req.method === Code.GET) return getShadow(ctx.host, req, r.name, accept);
      if (req.method === Code.POST) return updateShadow(ctx.host, req, payload, r.name, accept);
      return deleteShadow(ctx.host, req, r.name, accept);
    case "delta": {
      const token = toHex(req.token);
      return getDelta(ctx.host, req, r.name, accept, {
        register: (resource, fmt) => {
          const entry = registerObserver(ctx.state, token, resource, fmt, ctx.maxObservers);
          if (entry !== null) ctx.markDirty();
          return entry?.seq ?? null;
        },
        deregister: () => {
          if (deregisterObserver(ctx.state, token)) ctx.markDirty();
        },
      });
    }
    case "telemetry":
      return postTelemetry(ctx.host, req, payload);
  }
}

/**
 * Splits a response that is too big for the peer, or that the client asked for in blocks
 * (RFC 7959 §2.4, RFC 8323 §5.3.1), caching the whole for the follow-up requests.
 */
export function fitResponse(
  ctx: Pick<PipelineContext, "state" | "block2">,
  full: CoapMessage,
  req: Pick<ParsedRequest, "block2"> | undefined,
  key: string,
): CoapMessage {
  const szx = chooseBlock2Szx(full, req?.block2, ctx.state.peerCsm ?? DEFAULT_CSM);
  if (szx === null) return full;
  const num = req?.block2?.num ?? 0;
  if (num === 0 && full.payload.length <= blockSize(szx)) return full;
  ctx.block2.put(key, full);
  return sliceOrBadOption(full, num, szx);
}

function sliceOrBadOption(full: CoapMessage, num: number, szx: number): CoapMessage {
  // RFC 7959 §2.4: a block number past the end is 4.02 Bad Option
  return sliceBlock2(full, num, szx) ?? diagnosticReply(full.token, Code.BAD_OPTION, "block number past the end");
}
