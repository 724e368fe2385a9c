/** What the gateway says when a device's hub WebSocket does not open. */
import { describe, expect, it } from "vitest";
import { hubFailure } from "./hub-headers";

describe("hubFailure", () => {
  it("calls an HTTP answer a refusal, and a 401 with a gateway key a key mismatch", () => {
    expect(hubFailure("Unexpected server response: 401", true)).toBe("hub refused the connection: HTTP 401 (the hub does not take this --gateway-key)");
    expect(hubFailure("Unexpected server response: 401", false)).toBe("hub refused the connection: HTTP 401");
    expect(hubFailure("Unexpected server response: 503", true)).toBe("hub refused the connection: HTTP 503");
  });
  it("calls anything else the hub out of reach", () => {
    expect(hubFailure("connect ECONNREFUSED 127.0.0.1:1", true)).toBe("hub unreachable: connect ECONNREFUSED 127.0.0.1:1");
  });
});
