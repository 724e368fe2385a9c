/** How SDK and network failures become exit codes. */
import { describe, expect, it } from "vitest";
import { ApiError, ConnectError, EventStreamError } from "../../sdk/node";
import { CliError, ExitCode } from "../exit-codes";
import { appFor, asCliError } from "./hub";

describe("asCliError", () => {
  it.each([
    [new ApiError(404, { title: "Not found", detail: "No device" }, undefined), ExitCode.NOT_FOUND, "404 Not found: No device"],
    [new ApiError(409, { title: "Conflict" }, undefined), ExitCode.CONFLICT, "409 Conflict"],
    [new ApiError(401, null, undefined), ExitCode.AUTH, "the hub answered 401"],
    [new ApiError(503, "down", 5), ExitCode.HUB_ERROR, "503 down"],
    [Object.assign(new TypeError("fetch failed"), { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") }), ExitCode.UNREACHABLE, "cannot reach the hub at http://hub: connect ECONNREFUSED 127.0.0.1:1"],
    [new ConnectError("no WebSocket handshake in 10000 ms", false), ExitCode.UNREACHABLE, "no WebSocket handshake in 10000 ms"],
    [new EventStreamError("the hub refused the event stream: HTTP 404", 404), ExitCode.NOT_FOUND, "the hub refused the event stream: HTTP 404"],
    [new EventStreamError("the event stream did not open (1006)"), ExitCode.UNREACHABLE, "the event stream did not open (1006)"],
    [new RangeError("odd"), ExitCode.FAILURE, "odd"],
  ])("%s → exit %i", (error, code, message) => {
    const e = asCliError(error, "http://hub");
    expect(e).toBeInstanceOf(CliError);
    expect([e.exitCode, e.message]).toEqual([code, message]);
  });

  it("keeps a CliError as it is, and needs a token for an App", () => {
    const own = new CliError(ExitCode.DEVICE_FAILED, "x");
    expect(asCliError(own)).toBe(own);
    expect(() => appFor({ url: "http://hub", token: undefined, json: false })).toThrow(expect.objectContaining({ exitCode: ExitCode.USAGE }));
  });
});
