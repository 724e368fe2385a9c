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
    calls.socketGone(other);
    calls.socketGone(a);
    await Promise.resolve();
    expect(settled).toBe("pending");
    calls.socketGone(b);
    await pending;
    expect(settled).toBe("disconnected");
  });

  it("times out when nobody answers", async () => {
    const calls = new MethodCalls();
    expect(await calls.call(() => [socket()], 10)).toBe("timeout");
  });
});
