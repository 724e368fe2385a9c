import { describe, expect, it } from "vitest";
import {
  encodeHubMessage,
  errorMessage,
  pong,
  shadowAccepted,
  shadowDelta,
  shadowDocuments,
  shadowRejected,
  shadowReply,
} from "./encode";
import type { HubMessage } from "./messages";

describe("hub message builders", () => {
  const cases: [string, HubMessage, unknown][] = [
    [
      "shadow.delta (AWS /update/delta body)",
      shadowDelta("", { state: { color: "RED" }, metadata: { color: { timestamp: 12345 } }, version: 17, timestamp: 123456789 }),
      { type: "shadow.delta", shadow: "", version: 17, state: { color: "RED" }, metadata: { color: { timestamp: 12345 } }, timestamp: 123456789 },
    ],
    [
      "shadow.accepted for delete (AWS delete/accepted)",
      shadowAccepted("cfg", "delete", { version: 4, timestamp: 1591057529 }),
      { type: "shadow.accepted", shadow: "cfg", op: "delete", version: 4, timestamp: 1591057529 },
    ],
    [
      "shadow.accepted for update with clientToken",
      shadowAccepted("", "update", { state: { reported: { t: 1 } }, metadata: { reported: { t: { timestamp: 5 } } }, version: 2, timestamp: 5, clientToken: "c" }),
      { type: "shadow.accepted", shadow: "", op: "update", state: { reported: { t: 1 } }, metadata: { reported: { t: { timestamp: 5 } } }, version: 2, timestamp: 5, clientToken: "c" },
    ],
    [
      "shadow.rejected (AWS 409)",
      shadowRejected("", "update", { code: 409, message: "Version conflict", clientToken: "426bfd96" }),
      { type: "shadow.rejected", shadow: "", op: "update", code: 409, message: "Version conflict", clientToken: "426bfd96" },
    ],
    [
      "shadow.documents",
      shadowDocuments("", { previous: null, current: { state: {}, metadata: {}, version: 1 }, timestamp: 9 }),
      { type: "shadow.documents", shadow: "", previous: null, current: { state: {}, metadata: {}, version: 1 }, timestamp: 9 },
    ],
    ["pong", pong(), { type: "pong" }],
    ["pong with id", pong(0), { type: "pong", id: 0 }],
    ["error", errorMessage({ code: "bad_json", message: "message is not valid JSON" }), { type: "error", code: "bad_json", message: "message is not valid JSON" }],
  ];
  it.each(cases)("%s", (_name, built, expected) => {
    expect(built).toEqual(expected);
    expect(JSON.parse(encodeHubMessage(built))).toEqual(expected);
  });

  it("shadowReply maps a shadow response to accepted or rejected", () => {
    expect(shadowReply("", { status: "accepted", op: "get", body: { state: {}, metadata: {}, version: 1, timestamp: 2 } })).toEqual({
      type: "shadow.accepted",
      shadow: "",
      op: "get",
      state: {},
      metadata: {},
      version: 1,
      timestamp: 2,
    });
    expect(shadowReply("n", { status: "rejected", op: "get", body: { code: 404, message: "No shadow exists with name: 'n'", timestamp: 2 } })).toEqual({
      type: "shadow.rejected",
      shadow: "n",
      op: "get",
      code: 404,
      message: "No shadow exists with name: 'n'",
      timestamp: 2,
    });
  });

  it("extra keys in a body cannot override the message type", () => {
    const body = { version: 1, timestamp: 2, type: "pong" } as { version: number; timestamp: number };
    expect(shadowAccepted("", "delete", body).type).toBe("shadow.accepted");
    expect(shadowAccepted("", "delete", body)).not.toHaveProperty("extra");
  });
});
