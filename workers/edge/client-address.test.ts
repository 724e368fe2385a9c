import { describe, expect, it } from "vitest";
import { forwardedFor } from "./client-address";
import { forwardedHeader, deviceAddress, hubHeaders } from "../../cli/gateway/hub-headers";

describe("forwardedFor (RFC 7239 for=)", () => {
  it.each([
    ["for=192.0.2.60", "192.0.2.60"],
    ["for=192.0.2.60:4711", "192.0.2.60"],
    ['for="192.0.2.60:4711";proto=http', "192.0.2.60"],
    ['For="[2001:db8:cafe::17]:4711"', "2001:db8:cafe::17"],
    ['for="[2001:DB8::1]"', "2001:db8::1"],
    ["proto=https; for=198.51.100.17, for=203.0.113.9", "198.51.100.17"],
  ])("reads %s as %s", (header, address) => {
    expect(forwardedFor(header)).toBe(address);
  });

  it.each([undefined, "", "by=192.0.2.1", "for=unknown", "for=_hidden", "for=256.1.1.1", 'for="[2001:db8::1"', "for=a.b.c.d", `for=${"1:".repeat(30)}`])("finds no address in %s", (header) => {
    expect(forwardedFor(header)).toBeNull();
  });

  it("reads back what the gateway writes, for IPv4, IPv4-mapped and IPv6 peers", () => {
    for (const [peer, seen] of [["127.0.0.2", "127.0.0.2"], ["::ffff:10.1.2.3", "10.1.2.3"], ["fe80::1", "fe80::1"]] as const) {
      expect(deviceAddress(peer)).toBe(seen);
      expect(forwardedFor(forwardedHeader(peer))).toBe(seen);
    }
    expect(hubHeaders(undefined, "10.0.0.1")).toEqual({});
    expect(hubHeaders("k", "10.0.0.1")).toEqual({ "umbra-gateway-key": "k", forwarded: "for=10.0.0.1" });
  });
});
