import { describe, expect, it } from "vitest";
import { allowedMethods } from "./methods";

const lookup = allowedMethods([
  { method: "ALL", path: "/*" },
  { method: "GET", path: "/v1/devices" },
  { method: "POST", path: "/v1/devices" },
  { method: "GET", path: "/v1/devices/:id" },
  { method: "PATCH", path: "/v1/devices/:id" },
  { method: "DELETE", path: "/v1/devices/:id" },
  { method: "POST", path: "/oauth/token" },
  { method: "GET", path: "/.well-known/coap" },
]);

describe("allowedMethods", () => {
  it.each([
    ["/v1/devices", ["GET", "HEAD", "OPTIONS", "POST"]],
    ["/v1/devices/", ["GET", "HEAD", "OPTIONS", "POST"]],
    ["/v1/devices/d1", ["DELETE", "GET", "HEAD", "OPTIONS", "PATCH"]],
    ["/oauth/token", ["OPTIONS", "POST"]],
    ["/.well-known/coap", ["GET", "HEAD", "OPTIONS"]],
    ["/v1/devices/d1/nothing", []],
    ["/v1/nothing", []],
    ["/.well-known/coapX", []],
  ])("%s → %j", (path, want) => expect(lookup(path)).toEqual(want));
});
