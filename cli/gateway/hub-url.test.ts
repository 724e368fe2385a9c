/** Hub base URLs to WebSocket URLs. */
import { describe, expect, it } from "vitest";
import { hubSocketUrl } from "./hub-url";

describe("hubSocketUrl", () => {
  it.each([
    ["http://127.0.0.1:8787", "/mqtt", "ws://127.0.0.1:8787/mqtt"],
    ["http://127.0.0.1:8787/", "/.well-known/coap", "ws://127.0.0.1:8787/.well-known/coap"],
    ["https://umbra.example.workers.dev", "/mqtt", "wss://umbra.example.workers.dev/mqtt"],
    ["https://proxy.example/umbra/?x=1#y", "/mqtt", "wss://proxy.example/umbra/mqtt"],
    ["ws://[::1]:9000", "/mqtt", "ws://[::1]:9000/mqtt"],
  ])("%s + %s → %s", (base, path, expected) => expect(hubSocketUrl(base, path)).toBe(expected));

  it.each(["ftp://x", "not a url"])("refuses %s", (base) => expect(() => hubSocketUrl(base, "/mqtt")).toThrow(TypeError));
});
