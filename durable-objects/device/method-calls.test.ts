import { describe, expect, it } from "vitest";
import { MethodCalls } from "./method-calls";

const socket = () => ({}) as WebSocket;

describe("MethodCalls", () => {
  it("answers offline when no socket took the call, and the answer when one came", async () => {
    const calls = new MethodCalls();
    expect(await calls.call(() => [], 1_000)).toBe("offline");
    let id = "";
    const ws = socket();
    const pending = calls.call((requestId) => ((id = requestId), [ws]), 1_000);
    expect(calls.answer(id, 200, { ok: true })).toBe(true);
    expect(await pending).toEqual({ status: 200, payload: { ok: true } });
    expect(calls.answer(id, 200, null)).toBe(false); // late: nobody waits
  });

  it("ends a call only when the last socket that took it is gone", async () => {
    const calls = new MethodCalls();
    const [a, b, other] = [socket(), socket(), socket()];
    let settled: unknown = "pending";
    const pending = calls.call(() => [a, b], 60_000).then((r) => (settled = r));
    calls.socketGone(other, true);
    calls.socketGone(a, true);
    await Promise.resolve();
    expect(settled).toBe("pending");
    calls.socketGone(b, false);
    await pending;
    expect(settled).toBe("disconnected");
  });

  it("keeps waiting when the takers are gone but a newer connection took over: the answer may come there", async () => {
    // an outside run: a CoAP device behind the gateway answering from a new UDP port got 504 for every call
    const calls = new MethodCalls();
    let id = "";
    let settled: unknown = "pending";
    const taker = socket();
    const pending = calls.call((requestId) => ((id = requestId), [taker]), 60_000).then((r) => (settled = r));
    calls.socketGone(taker, true);
    await Promise.resolve();
    expect(settled).toBe("pending");
    expect(calls.answer(id, 200, "done")).toBe(true);
    await pending;
    expect(settled).toEqual({ status: 200, payload: "done" });
  });

  it("ends the calls nobody can answer when the device's last connection goes", async () => {
    const calls = new MethodCalls();
    const taker = socket();
    const pending = calls.call(() => [taker], 60_000);
    calls.socketGone(taker, true); // taken over
    calls.socketGone(socket(), false); // and the newer connection gone too
    expect(await pending).toBe("disconnected");
  });

  it("times out when nobody answers", async () => {
    const calls = new MethodCalls();
    expect(await calls.call(() => [socket()], 10)).toBe("timeout");
  });
});
