/** Fragment routes: table cases and a round trip for any device id and tab. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { DEVICE_TABS, hrefOf, parseRoute, TOP_PAGES, type Route } from "./route";

describe("parseRoute", () => {
  it.each<[string, Route]>([
    ["", { page: "devices" }],
    ["#", { page: "devices" }],
    ["#/", { page: "devices" }],
    ["#/devices", { page: "devices" }],
    ["#/rules/", { page: "rules" }],
    ["#/api-keys", { page: "api-keys" }],
    ["#/devices/lamp-1", { page: "device", id: "lamp-1", tab: "shadow" }],
    ["#/devices/lamp%3A1/telemetry", { page: "device", id: "lamp:1", tab: "telemetry" }],
    ["#/devices/lamp-1/nope", { page: "not-found", path: "devices/lamp-1/nope" }],
    ["#/rules/x", { page: "not-found", path: "rules/x" }],
    ["#/devices/%E0%A4%A", { page: "not-found", path: "devices/%E0%A4%A" }],
    ["#/elsewhere", { page: "not-found", path: "elsewhere" }],
  ])("%s", (hash, route) => {
    expect(parseRoute(hash)).toEqual(route);
  });

  it("gives back every route hrefOf writes", () => {
    const route = fc.oneof(
      fc.constantFrom(...TOP_PAGES).map((page): Route => ({ page })),
      fc.record({ page: fc.constant("device" as const), id: fc.string({ minLength: 1 }), tab: fc.constantFrom(...DEVICE_TABS) }),
    );
    fc.assert(
      fc.property(route, (r) => {
        expect(parseRoute(hrefOf(r))).toEqual(r);
      }),
    );
  });
});
