/**
 * `App`: an application's client of the hub — typed REST generated from the hub's OpenAPI
 * document (openapi-fetch over sdk/openapi/) and live device events.
 */
import createClient from "openapi-fetch";
import type { Client } from "openapi-fetch";
import type { AppCredentials } from "./auth";
import { TokenSource } from "./auth";
import type { EventStream, EventsOptions } from "./events";
import { deviceEvents } from "./events";
import type { paths } from "./openapi/index";
import type { SocketFactory } from "./socket";
import { defaultSocketFactory } from "./socket";

/** How to reach the hub, and as whom. */
export type AppOptions = {
  /** The hub's base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** `fetch` to use (default the global one). */
  fetch?: typeof fetch;
  /** WebSockets for event streams (default: the runtime's, or `ws` from the Node entry). */
  sockets?: SocketFactory;
} & AppCredentials;

/**
 * A hub's REST API and event streams.
 * @example
 * const app = new App({ url: "http://127.0.0.1:8787", token: process.env.UMBRA_TOKEN! });
 * const { data } = await app.api.GET("/v1/devices/{id}", { params: { path: { id: "lamp-1" } } });
 * for await (const event of app.events("lamp-1")) console.log(event.type, event.data);
 */
export class App {
  /** Typed REST: `app.api.GET(path, {params, body})` and the other methods, as openapi-fetch has them. */
  readonly api: Client<paths>;
  /** The hub's base URL. */
  readonly url: string;
  private readonly tokens: TokenSource;
  private readonly fetchFn: typeof fetch;
  private readonly sockets: SocketFactory;

  constructor(options: AppOptions) {
    this.url = options.url.replace(/\/+$/, "");
    // Called, not stored as a method: a bare `fetch` stored on an object loses its receiver in browsers.
    const fetchFn: typeof fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.fetchFn = fetchFn;
    this.sockets = options.sockets ?? defaultSocketFactory();
    this.tokens = new TokenSource(this.url, "token" in options ? { token: options.token } : options, fetchFn);
    this.api = createClient<paths>({ baseUrl: this.url, fetch: (request) => fetchFn(request) });
    const tokens = this.tokens;
    this.api.use({
      async onRequest({ request }) {
        request.headers.set("authorization", `Bearer ${await tokens.token()}`);
        return request;
      },
      onResponse({ response }) {
        // An access token revoked or expired early: the next request fetches a new one.
        if (response.status === 401) tokens.invalidate();
        return undefined;
      },
    });
  }

  /**
   * The device's live events (shadow, telemetry, presence, commands) as an async iterator;
   * `break` (or `close()`, or the `signal`) closes the stream.
   * @example
   * for await (const e of app.events("lamp-1")) if (e.type === "telemetry") console.log(e.data);
   */
  events(deviceId: string, options: EventsOptions = {}): EventStream {
    return deviceEvents({ url: this.url, tokens: this.tokens, sockets: this.sockets, fetchFn: this.fetchFn }, deviceId, options);
  }

  /** The bearer token requests carry now (fetched first for an OAuth client). */
  token(): Promise<string> {
    return this.tokens.token();
  }
}
