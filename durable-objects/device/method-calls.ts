/**
 * Direct methods in flight: a synchronous call waits, in the object, for the device's answer, for
 * its timeout, or until every connection that took the call is gone and the device has no other. Nothing is stored: a method
 * is for a device that is connected now (the request travels at QoS 0 and is never queued).
 */
import type { JsonValue } from "../../protocols/json-value";

/** The device's answer to a method. */
export interface MethodAnswer {
  status: number;
  payload: JsonValue;
}

/** How a call ended without an answer: nobody took it, nobody answered in time, or every taker went away. */
export type MethodMiss = "offline" | "timeout" | "disconnected";

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return `req_${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

interface Pending {
  resolve: (outcome: MethodAnswer | MethodMiss) => void;
  /** The sockets the request went out on; when the last closes, no answer can come. */
  takers: Set<WebSocket>;
}

export class MethodCalls {
  private readonly pending = new Map<string, Pending>();

  /**
   * Sends a call (`send` answers the sockets that took it) and waits for the answer.
   * @returns the answer, "offline" when no connection took the call, "timeout", or
   *   "disconnected" when every connection that took it closed first.
   */
  async call(send: (requestId: string) => WebSocket[], timeoutMs: number): Promise<MethodAnswer | MethodMiss> {
    const id = randomId();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const takers = new Set<WebSocket>();
    const answered = new Promise<MethodAnswer | MethodMiss>((resolve) => {
      this.pending.set(id, { resolve, takers });
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      for (const ws of send(id)) takers.add(ws);
      if (takers.size === 0) return "offline";
      return await answered;
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  /** The device answered `requestId`; false when nobody waits for it (late or unknown). */
  answer(requestId: string, status: number, payload: JsonValue): boolean {
    const p = this.pending.get(requestId);
    if (!p) return false;
    p.resolve({ status, payload });
    return true;
  }

  /**
   * A device socket closed. Calls whose every taker is gone end now, unanswered, unless the device
   * is still `connected` another way (a newer connection took over, such as a CoAP device behind
   * the gateway answering from a new UDP port): the answer may come there, until the timeout.
   */
  socketGone(ws: WebSocket, connected: boolean): void {
    for (const p of this.pending.values()) {
      p.takers.delete(ws);
      if (p.takers.size === 0 && !connected) p.resolve("disconnected");
    }
  }
}
