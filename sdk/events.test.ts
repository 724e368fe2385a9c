/** App event streams against a fake socket and a fake fetch: transport choice, close, reconnect, refusal. */
import { describe, expect, it } from "vitest";
import { App } from "./app";
import type { DeviceEvent } from "./messages";
import { FakeSockets, until } from "./testing/fake-socket";

const event = (type: string, n: number) => ({ type, deviceId: "d1", ts: n, data: { n } });

function app(sockets: FakeSockets, fetchFn: typeof fetch = () => Promise.reject(new Error("no fetch"))) {
  return new App({ url: "http://hub.test", token: "tok", sockets, fetch: fetchFn });
}

describe("app.events", () => {
  it("uses a WebSocket with the bearer header where it can, and close() ends a loop that waits", async () => {
    const sockets = new FakeSockets();
    sockets.onOpen = (s) => s.accept();
    const stream = app(sockets).events("d 1");
    const got: DeviceEvent[] = [];
    const reading = (async () => {
      for await (const e of stream) got.push(e);
    })();
    await until(() => sockets.opened.length === 1 && sockets.last.readyState === 1);
    expect(sockets.last.url).toBe("ws://hub.test/v1/devices/d%201/events");
    expect(sockets.last.headers).toEqual({ authorization: "Bearer tok" });
    sockets.last.receive(event("telemetry", 1));
    await until(() => got.length === 1);
    stream.close();
    await reading;
    expect(sockets.last.closedBySdk?.code).toBe(1000);
  });

  it("opens the stream again after it drops, and gives up on a refusal", async () => {
    const sockets = new FakeSockets();
    sockets.onOpen = (s) => s.accept();
    const got: number[] = [];
    const stream = app(sockets).events("d1", { backoff: { initialMs: 1 } });
    const reading = (async () => {
      for await (const e of stream) got.push(e.ts);
    })();
    await until(() => sockets.opened.length === 1 && sockets.last.readyState === 1);
    sockets.last.receive(event("telemetry", 1));
    sockets.last.hubClose(1006);
    await until(() => sockets.opened.length === 2 && sockets.last.readyState === 1, "reopened");
    sockets.last.receive(event("telemetry", 2));
    await until(() => got.length === 2);
    sockets.onOpen = (s) => s.refuse(404);
    sockets.last.hubClose(1001);
    await expect(reading).rejects.toMatchObject({ name: "EventStreamError", status: 404, permanent: true });
    expect(got).toEqual([1, 2]);
  });

  it("ends with EventStreamError when the token endpoint refuses the OAuth client, instead of retrying it for ever", async () => {
    const sockets = new FakeSockets();
    let asked = 0;
    const refusing = (() => {
      asked++;
      return Promise.resolve(new Response(JSON.stringify({ error: "invalid_client", error_description: "unknown client or wrong secret" }), { status: 401, headers: { "content-type": "application/json" } }));
    }) as typeof fetch;
    const oauth = new App({ url: "http://hub.test", clientId: "c1", clientSecret: "wrong", sockets, fetch: refusing });
    const reading = (async () => {
      for await (const _ of oauth.events("d1", { backoff: { initialMs: 1 } })) void _;
    })();
    await expect(reading).rejects.toMatchObject({ name: "EventStreamError", status: 401, permanent: true });
    expect(asked).toBe(1);
    expect(sockets.opened).toHaveLength(0);
  });

  it("offers the token as a subprotocol where a WebSocket cannot carry headers (browsers)", async () => {
    const sockets = new FakeSockets();
    Object.defineProperty(sockets, "canSendHeaders", { value: false });
    sockets.onOpen = (s) => s.accept();
    const stream = app(sockets).events("d1");
    const first = stream.next();
    await until(() => sockets.opened.length === 1 && sockets.last.readyState === 1);
    expect(sockets.last.protocols).toEqual(["umbra.events.v1", "token.tok"]);
    expect(sockets.last.headers).toBeUndefined();
    sockets.last.receive(event("telemetry", 3));
    expect((await first).value).toEqual(event("telemetry", 3));
    stream.close();
  });

  it("falls back to Server-Sent Events over fetch when the WebSocket does not open and says nothing", async () => {
    const sockets = new FakeSockets();
    sockets.onOpen = (s) => s.hubClose(1006);
    const requests: Request[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode(`: umbra event stream\n\nid: 1\nevent: telemetry\ndata: ${JSON.stringify(event("telemetry", 7))}\n\n`));
      },
    });
    const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
      requests.push(new Request(input, init));
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }) as typeof fetch;
    for await (const e of app(sockets, fetchFn).events("d1")) {
      expect(e).toEqual(event("telemetry", 7));
      break;
    }
    expect(sockets.opened).toHaveLength(1);
    expect(requests[0]!.url).toBe("http://hub.test/v1/devices/d1/events");
    expect(requests[0]!.headers.get("accept")).toBe("text/event-stream");
    expect(requests[0]!.headers.get("authorization")).toBe("Bearer tok");
  });
});

describe("app.events while the hub is down", () => {
  it("retries without piling up abort listeners (no MaxListenersExceededWarning)", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on("warning", onWarning);
    try {
      const sockets = new FakeSockets();
      sockets.onOpen = (s) => s.hubClose(1006);
      let attempts = 0;
      const fetchFn = (() => (attempts++, Promise.reject(new TypeError("fetch failed")))) as typeof fetch;
      const stop = new AbortController();
      const reading = (async () => {
        for await (const _ of app(sockets, fetchFn).events("d1", { signal: stop.signal, backoff: { initialMs: 1, maxMs: 1 } })) void _;
      })();
      await until(() => attempts >= 30, "30 attempts");
      stop.abort();
      await reading;
      await new Promise((r) => setTimeout(r, 10)); // warnings are emitted on a later tick
      expect(warnings).not.toContain("MaxListenersExceededWarning");
    } finally {
      process.off("warning", onWarning);
    }
  });
});
