/**
 * Commands and method calls are events: each is its own representation of `/commands` or
 * `/methods`. One that goes out in Block2 blocks is fetched by the client with GET Block2 NUM+1,
 * which the server answers from the one representation it keeps per resource (RFC 7959 §2.4);
 * a later call sent meanwhile would replace it, and the client would piece one command together
 * from two. So calls wait while an earlier one of their resource is fetched, until its last block
 * is served, or {@link HOLD_MS} passed (a client that never fetched the rest).
 */

/** How long later calls wait for a client to fetch the blocks of an earlier one. */
export const HOLD_MS = 30_000;

export class CallTransfers {
  private readonly busy = new Map<string, { since: number; held: unknown[] }>();

  /** Holds `value` when an earlier call of `resource` is still being fetched; false: send it. */
  hold(resource: string, value: unknown, now: number): boolean {
    const t = this.busy.get(resource);
    if (t === undefined || now - t.since >= HOLD_MS) return false;
    t.held.push(value);
    return true;
  }

  /** Whether a call of `resource` is being fetched in blocks. */
  fetching(resource: string): boolean {
    return this.busy.has(resource);
  }

  /** Ends the transfer of `resource`; the calls that waited for it, oldest first. */
  release(resource: string): unknown[] {
    const held = this.busy.get(resource)?.held ?? [];
    this.busy.delete(resource);
    return held;
  }

  /** A call of `resource` went out in blocks; `held` (calls after it) wait for its last block. */
  started(resource: string, now: number, held: unknown[]): void {
    this.busy.set(resource, { since: now, held });
  }
}
