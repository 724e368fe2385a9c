/** A socket still connecting is closed when it opens, so the browser logs no warning. */
import { describe, expect, it } from "vitest";
import { closeSocket, type ClosableSocket } from "./close-socket";

function fake(readyState: number) {
  const closed: (number | undefined)[] = [];
  const onOpen: (() => void)[] = [];
  const ws: ClosableSocket = {
    readyState,
    close: (code) => void closed.push(code),
    addEventListener: (_type, listener) => void onOpen.push(listener),
  };
  return { ws, closed, open: () => onOpen.forEach((f) => f()) };
}

describe("closeSocket", () => {
  it("does not close a connecting socket before it opens, then closes it at once", () => {
    const s = fake(0);
    closeSocket(s.ws);
    expect(s.closed).toEqual([]);
    s.open();
    expect(s.closed).toEqual([1000]);
  });

  it("closes an open socket now", () => {
    const s = fake(1);
    closeSocket(s.ws);
    expect(s.closed).toEqual([1000]);
  });
});
