/**
 * One UDP peer's session: its Translator wired to the gateway's UDP socket, to a WebSocket to
 * the hub's `/.well-known/coap` (subprotocol `coap`, opened when the peer first asks something
 * and again after the hub closes it), and to one timer for the translator's next deadline.
 */
import WebSocket from "ws";
import { hubFailure } from "../hub-headers";
import type { CoapCounters } from "../stats";
import type { TranslatorConfig } from "./config";
import type { Action } from "./translator";
import { Translator } from "./translator";

/** What a peer session needs from the gateway. */
export interface PeerDeps {
  /** The hub's `/.well-known/coap` WebSocket URL. */
  hubUrl: string;
  /** Headers of the hub WebSocket (the gateway key and the peer's address, when there is a key). */
  hubHeaders: Record<string, string>;
  config: TranslatorConfig;
  counters: CoapCounters;
  sendUdp(bytes: Uint8Array): void;
  /** Called once the hub connection could not be opened or was lost, with why. */
  onHubTrouble(why: string): void;
}

/** Per-session numbers for the end-of-session log line. */
export interface PeerTally {
  datagramsIn: number;
  datagramsOut: number;
  bytesIn: number;
  bytesOut: number;
  hubConnections: number;
  lastHubClose: string;
}

// RFC 6455 §5.5: a close frame's reason fits in 123 bytes
const reasonBytes = (s: string) => Buffer.from(s, "utf8").subarray(0, 123).toString("utf8").replace(/\uFFFD$/, "");

/** The gateway's session for one UDP peer. */
export class PeerSession {
  readonly tally: PeerTally = { datagramsIn: 0, datagramsOut: 0, bytesIn: 0, bytesOut: 0, hubConnections: 0, lastHubClose: "" };
  readonly started = Date.now();
  private readonly translator: Translator;
  private ws: WebSocket | null = null;
  private waiting: Uint8Array[] = [];
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly deps: PeerDeps) {
    this.translator = new Translator(deps.config, Date.now());
  }

  /** A datagram from the peer. */
  receive(bytes: Uint8Array): void {
    this.tally.datagramsIn++;
    this.tally.bytesIn += bytes.length;
    this.run(this.translator.fromPeer(bytes, Date.now()));
  }

  /** Nothing pending, nothing observed, and the peer quiet for the idle time. */
  idle(now: number): boolean {
    return this.translator.idle(now);
  }

  /** Ends the session: Release to the hub, 5.03 to anything pending, timer stopped. */
  end(why: string): void {
    this.run(this.translator.release(why, Date.now()));
    this.ws?.terminate();
    this.ws = null;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private run(actions: Action[]): void {
    const { counters } = this.deps;
    for (const a of actions) {
      switch (a.kind) {
        case "udp":
          this.tally.datagramsOut++;
          this.tally.bytesOut += a.bytes.length;
          counters.datagramsOut++;
          counters.bytesOut += a.bytes.length;
          if (a.retransmission) counters.retransmissions++;
          this.deps.sendUdp(a.bytes);
          break;
        case "connect":
          this.connect();
          break;
        case "hub":
          counters.framesToHub++;
          if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(a.frame);
          else this.waiting.push(a.frame);
          break;
        case "disconnect":
          this.tally.lastHubClose = a.reason;
          this.waiting = [];
          this.closeSocket(a.code, a.reason);
          break;
      }
    }
    this.schedule();
  }

  private connect(): void {
    const ws = new WebSocket(this.deps.hubUrl, "coap", { perMessageDeflate: false, headers: this.deps.hubHeaders });
    this.ws = ws;
    this.tally.hubConnections++;
    this.deps.counters.hubConnections++;
    let failure = "";
    ws.binaryType = "nodebuffer";
    ws.on("open", () => {
      for (const frame of this.waiting) ws.send(frame);
      this.waiting = [];
    });
    ws.on("message", (data: WebSocket.RawData, isBinary: boolean) => {
      if (this.ws !== ws) return;
      this.deps.counters.framesFromHub++;
      // RFC 8323 §4.2: CoAP travels in binary messages only
      if (!isBinary) return;
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      this.run(this.translator.fromHub(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), Date.now()));
    });
    ws.on("error", (err: Error) => {
      failure = err.message;
    });
    ws.on("close", (code: number, reason: Buffer) => {
      if (this.ws !== ws) return; // we closed it ourselves
      this.ws = null;
      this.waiting = [];
      const why = failure !== "" ? hubFailure(failure, "umbra-gateway-key" in (this.deps.hubHeaders ?? {})) : `hub closed the connection (${code}${reason.length > 0 ? ` ${reason.toString("utf8")}` : ""})`;
      this.tally.lastHubClose = why;
      this.deps.counters.hubFailures++;
      this.deps.onHubTrouble(why);
      this.run(this.translator.hubClosed(why, Date.now()));
    });
  }

  private closeSocket(code: number, reason: string): void {
    const ws = this.ws;
    this.ws = null;
    if (ws === null) return;
    // never 1005/1006 (DESIGN); a socket still connecting can only be dropped
    if (ws.readyState === WebSocket.OPEN) ws.close(code, reasonBytes(reason));
    else ws.terminate();
  }

  private schedule(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const at = this.translator.nextDeadline();
    if (at === null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.run(this.translator.tick(Date.now()));
    }, Math.max(0, at - Date.now()));
    this.timer.unref();
  }
}
