import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { streamName, streamOf } from "./stream-names";

describe("stream names", () => {
  it("round-trip a device id and an owner, and are never an MQTT session's name", () => {
    expect(streamOf(streamName("lamp-1", "key:k1"))).toEqual({ deviceId: "lamp-1", owner: "key:k1" });
    expect(streamOf(streamName("a:b.c", "client:c1"))).toEqual({ deviceId: "a:b.c", owner: "client:c1" });
    for (const session of ["key:k1/events/x", "client:c/lamp", "anonymous/events", "admin/x", "events/", "events/lamp", "events//key:k"]) expect(streamOf(session)).toBeNull();
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9_.:-]{1,20}$/), fc.stringMatching(/^(key|client):[A-Za-z0-9_]{1,10}$/), (id, owner) => {
        expect(streamOf(streamName(id, owner))).toEqual({ deviceId: id, owner });
      }),
    );
  });
});
