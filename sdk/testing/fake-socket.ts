/**
 * A fake WebSocket hub for unit tests: every socket the SDK opens is recorded; the test plays
 * the hub (open, send a message, close with a code, refuse the upgrade) and reads what was sent.
 */
import type { SocketFactory, SocketLike } from "../socket";

/** One fake socket. */
export class FakeSocket implements SocketLike {
  readyState = 0;
  binaryType = "blob";
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  /** Frames the SDK sent, parsed. */
  readonly sent: Record<string, unknown>[] = [];
  closedBySdk: { code?: number; reason?: string } | null = null;

  constructor(
    readonly url: string,
    readonly protocols: string[],
    readonly headers: Record<string, string> | undefined,
  ) {}

  send(data: string): void {
    if (this.readyState !== 1) throw new Error("send on a socket that is not open");
    this.sent.push(JSON.parse(data) as Record<string, unknown>);
  }

  close(code?: number, reason?: string): void {
    this.closedBySdk = { code, reason };
    this.hubClose(code ?? 1000, reason ?? "");
  }

  /** The hub accepts the connection. */
  accept(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  /** The hub refuses the upgrade with an HTTP status (as `ws` reports it). */
  refuse(status: number): void {
    this.onerror?.({ message: `Unexpected server response: ${status}` });
    this.hubClose(1006, "");
  }

  /** The hub sends a JSON message. */
  receive(message: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  /** The connection ends with `code`. */
  hubClose(code: number, reason = ""): void {
    if (this.readyState === 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

/** A socket factory that records every socket. */
export class FakeSockets implements SocketFactory {
  readonly canSendHeaders = true;
  readonly opened: FakeSocket[] = [];
  /** What the next sockets do as soon as they are opened (default: nothing, the test decides). */
  onOpen: (s: FakeSocket) => void = () => {};

  open(url: string, protocols: string[], headers?: Record<string, string>): SocketLike {
    const s = new FakeSocket(url, protocols, headers);
    this.opened.push(s);
    queueMicrotask(() => this.onOpen(s));
    return s;
  }

  /** The newest socket. */
  get last(): FakeSocket {
    const s = this.opened.at(-1);
    if (s === undefined) throw new Error("no socket opened yet");
    return s;
  }
}

/** Waits until `check` holds (polling each macrotask); fails after 2 s. */
export async function until(check: () => boolean, what = "condition"): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached`);
    await new Promise((r) => setTimeout(r, 1));
  }
}
