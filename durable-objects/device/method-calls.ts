/**
 * Direct methods in flight: a synchronous call waits, in the object, for the device's answer or
 * for its timeout. Nothing is stored: a method is for a device that is connected now.
 */
import type { JsonValue } from "../../protocols/json-value";

/** The device's answer to a method. */
export interface MethodAnswer {
  status: number;
  payload: JsonValue;
}

function randomId(): string {
  const b = crypto.getRandomValues(new Uint8Array(8));
  return `req_${[...b].map((x) => x.toString(16).padStart(2, "0")).join("")}`;
}

export class MethodCalls {
  private readonly pending = new Map<string, (answer: MethodAnswer) => void>();

  /**
   * Sends a call (`send` reports whether any connection took it) and waits for the answer.
   * @returns the answer, "offline" when no connection took the call, or "timeout".
   */
  async call(send: (requestId: string) => boolean, timeoutMs: number): Promise<MethodAnswer | "offline" | "timeout"> {
    const id = randomId();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const answered = new Promise<MethodAnswer | "timeout">((resolve) => {
      this.pending.set(id, resolve);
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    try {
      if (!send(id)) return "offline";
      return await answered;
    } finally {
      clearTimeout(timer);
      this.pending.delete(id);
    }
  }

  /** The device answered `requestId`; false when nobody waits for it (late or unknown). */
  answer(requestId: string, status: number, payload: JsonValue): boolean {
    const resolve = this.pending.get(requestId);
    if (!resolve) return false;
    resolve({ status, payload });
    return true;
  }
}
