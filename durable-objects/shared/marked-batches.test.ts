import { describe, expect, it } from "vitest";
import type { Message } from "../../protocols/mqtt";
import type { DeliveryMark } from "./delivery-marks";
import { MarkedBatches } from "./marked-batches";

const m = (topic: string): Message => ({ topic, payload: new Uint8Array(), qos: 2, retain: false });

describe("MarkedBatches", () => {
  it("sends one call per target and sequence per turn, with the numbers in increasing order", async () => {
    const calls: { target: string; topics: string[]; mark: DeliveryMark }[] = [];
    const batches = new MarkedBatches<string>(async (target, messages, mark) => void calls.push({ target, topics: messages.map((x) => x.topic), mark }));
    await Promise.all([
      batches.add("s1", m("new"), { from: "x", seqs: [9] }),
      // A resend routed again next to a newer message: it goes first, where the client published it.
      batches.add("s1", m("resent"), { from: "x", seqs: [5] }),
      batches.add("s2", m("other target"), { from: "x", seqs: [10] }),
      batches.add("s1", m("re-made session"), { from: "y", seqs: [1] }),
    ]);
    expect(calls).toEqual([
      { target: "s1", topics: ["resent", "new"], mark: { from: "x", seqs: [5, 9] } },
      { target: "s2", topics: ["other target"], mark: { from: "x", seqs: [10] } },
      { target: "s1", topics: ["re-made session"], mark: { from: "y", seqs: [1] } },
    ]);
  });

  it("rejects every message of a batch whose call failed", async () => {
    const batches = new MarkedBatches<string>(async () => {
      throw new Error("queue full");
    });
    const results = await Promise.allSettled([batches.add("s", m("a"), { from: "x", seqs: [1] }), batches.add("s", m("b"), { from: "x", seqs: [2] })]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  });
});
