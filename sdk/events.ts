/**
 * `app.events(deviceId)`: a device's live events as an async iterator, over a WebSocket (the
 * token in the `Authorization` header where the runtime can send one, as the subprotocol
 * `token.<token>` beside `umbra.events.v1` in browsers), or Server-Sent Events over `fetch` when
 * a WebSocket cannot be opened at all. A dropped stream is opened again with backoff (events in
 * the gap are missed); leaving the loop (`break`) closes it. An OAuth client's tokens are renewed
 * while a stream is open, which keeps the stream open past each token's expiry.
 */
import { AsyncQueue } from "./async-queue";
import type { BackoffOptions } from "./backoff";
import { Backoff } from "./backoff";
import { OAuthError, type TokenSource } from "./auth";
import type { DeviceEvent } from "./messages";
import { isObject } from "./messages";
import type { SocketFactory } from "./socket";
import { frameText, socketUrl, upgradeStatus } from "./socket";
import { readSse } from "./sse";

/** Options of `app.events()`. */
export interface EventsOptions {
  /** `"auto"` (default): a WebSocket, and SSE from then on if one does not open without saying why. */
  transport?: "auto" | "websocket" | "sse";
  /** Open the stream again after it drops (default true); false ends the loop with the error. */
  reconnect?: boolean;
  backoff?: BackoffOptions;
  /** Called each time the stream is open (events from then on are delivered). */
  onOpen?: () => void;
  /** Ends the stream. */
  signal?: AbortSignal;
}

/** The stream could not be opened or was cut; `permanent` for a 4xx (no such device, no access). */
export class EventStreamError extends Error {
  override readonly name = "EventStreamError";
  readonly permanent: boolean;

  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.permanent = status !== undefined && status >= 400 && status < 500 && status !== 408 && status !== 429;
  }
}

/** What the stream needs from its App. */
export interface EventsContext {
  url: string;
  tokens: TokenSource;
  sockets: SocketFactory;
  fetchFn: typeof fetch;
}

// Every listener added to the stream's signal is removed again: a stream that retries for hours
// (the hub away) would otherwise pile up one per attempt.
const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });

function toEvent(text: string): DeviceEvent | null {
  try {
    const v: unknown = JSON.parse(text);
    return isObject(v) && typeof v.type === "string" ? (v as unknown as DeviceEvent) : null;
  } catch {
    return null;
  }
}

/**
 * A device's live events: iterate with `for await`; `break`, `return()` or `close()` end it at
 * once, even while waiting for the next event.
 */
export interface EventStream extends AsyncIterableIterator<DeviceEvent> {
  close(): void;
}

/** The live events of one device. */
export function deviceEvents(ctx: EventsContext, deviceId: string, options: EventsOptions = {}): EventStream {
  // Our own signal too: an async generator's return() waits for a pending next() to settle,
  // so closing must first end the stream that next() is waiting on.
  const closer = new AbortController();
  options.signal?.addEventListener("abort", () => closer.abort(), { once: true });
  if (options.signal?.aborted) closer.abort();
  const gen = generate(ctx, deviceId, { ...options, signal: closer.signal });
  const stream: EventStream = {
    next: () => gen.next(),
    return: async () => {
      closer.abort();
      return gen.return(undefined);
    },
    close: () => void stream.return?.(),
    [Symbol.asyncIterator]: () => stream,
  };
  return stream;
}

async function* generate(ctx: EventsContext, deviceId: string, options: EventsOptions): AsyncGenerator<DeviceEvent, void, undefined> {
  const mode = options.transport ?? "auto";
  let useSocket = mode !== "sse";
  const backoff = new Backoff(options.backoff);
  const path = `/v1/devices/${encodeURIComponent(deviceId)}/events`;
  while (!options.signal?.aborted) {
    let stream: AsyncQueue<DeviceEvent> | null = null;
    let onAbort: (() => void) | undefined;
    let renewing: { stop(): void } | undefined;
    try {
      try {
        stream = useSocket ? await openSocket(ctx, path) : await openSse(ctx, path, options.signal);
      } catch (e) {
        // A WebSocket that fails without a status (a proxy that drops upgrades, or a browser, which
        // hides the status): try SSE, which also says why it is refused.
        // If SSE fails too (the hub is down), later attempts try the WebSocket again.
        if (mode !== "auto" || !useSocket || !(e instanceof EventStreamError) || e.status !== undefined) throw e;
        stream = await openSse(ctx, path, options.signal);
        useSocket = false;
      }
      const s = stream;
      onAbort = () => void s.return();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      renewing = keepTokenFresh(ctx.tokens);
      options.onOpen?.();
      for await (const event of stream) {
        backoff.reset();
        yield event;
      }
    } catch (e) {
      if (options.reconnect === false || (e instanceof EventStreamError && e.permanent)) throw e;
      // The token endpoint refused the client for good (wrong secret, revoked): no retry helps.
      if (e instanceof OAuthError && e.status >= 400 && e.status < 500 && e.status !== 429) throw new EventStreamError(`no access token: ${e.message}`, e.status);
    } finally {
      renewing?.stop();
      if (onAbort) options.signal?.removeEventListener("abort", onAbort);
      await stream?.return();
    }
    if (options.reconnect === false) return;
    await sleep(backoff.next(), options.signal);
  }
}

/**
 * While a stream is open, fetches each OAuth access token when it is due (a minute before expiry,
 * or at half the lifetime of a shorter token), requests or not: the hub keeps an OAuth client's open streams as long as it holds a valid token,
 * so a stream outlives the token it was opened with. A fixed token needs nothing.
 */
function keepTokenFresh(tokens: TokenSource): { stop(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;
  const schedule = () => {
    const at = tokens.renewsAt();
    if (stopped || at === null) return;
    timer = setTimeout(() => void tokens.token().then(schedule, () => (timer = setTimeout(schedule, 5_000))), Math.max(1_000, at - Date.now()));
  };
  schedule();
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

async function openSocket(ctx: EventsContext, path: string): Promise<AsyncQueue<DeviceEvent>> {
  const token = await ctx.tokens.token();
  const url = socketUrl(ctx.url, path);
  const ws = ctx.sockets.canSendHeaders ? ctx.sockets.open(url, [], { authorization: `Bearer ${token}` }) : ctx.sockets.open(url, ["umbra.events.v1", `token.${token}`]);
  const queue = new AsyncQueue<DeviceEvent>(() => ws.close(1000, "done"));
  return new Promise((resolve, reject) => {
    let opened = false;
    let status: number | undefined;
    ws.onopen = () => {
      opened = true;
      resolve(queue);
    };
    ws.onerror = (ev) => {
      status ??= upgradeStatus(ev);
    };
    ws.onmessage = (ev) => {
      const event = toEvent(frameText(ev.data));
      if (event) queue.push(event);
    };
    ws.onclose = (ev) => {
      if (status === 401) ctx.tokens.invalidate();
      if (!opened) reject(new EventStreamError(status ? `the hub refused the event stream: HTTP ${status}` : `the event stream did not open (${ev.code})`, status));
      else queue.fail(new EventStreamError(`the event stream closed: ${ev.code} ${ev.reason}`.trim()));
    };
  });
}

async function openSse(ctx: EventsContext, path: string, signal?: AbortSignal): Promise<AsyncQueue<DeviceEvent>> {
  const token = await ctx.tokens.token();
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  signal?.addEventListener("abort", onAbort, { once: true });
  abort.signal.addEventListener("abort", () => signal?.removeEventListener("abort", onAbort), { once: true });
  let r: Response;
  try {
    r = await ctx.fetchFn(`${ctx.url.replace(/\/+$/, "")}${path}`, {
      headers: { authorization: `Bearer ${token}`, accept: "text/event-stream" },
      signal: abort.signal,
    });
  } catch (e) {
    abort.abort();
    throw new EventStreamError(`the event stream did not open: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!r.ok || r.body === null) {
    if (r.status === 401) ctx.tokens.invalidate();
    await r.body?.cancel();
    abort.abort();
    throw new EventStreamError(`the hub refused the event stream: HTTP ${r.status}`, r.status);
  }
  const queue = new AsyncQueue<DeviceEvent>(() => abort.abort());
  readSse(r.body, (data) => {
    const event = toEvent(data);
    if (event) queue.push(event);
  }).then(
    () => queue.fail(new EventStreamError("the event stream ended")),
    (e: unknown) => queue.fail(new EventStreamError(`the event stream broke: ${e instanceof Error ? e.message : String(e)}`)),
  );
  return queue;
}
