/**
 * One MQTT-over-WebSocket connection, held by the edge Worker on both `/mqtt` and
 * `/mqtt/<deviceId>`. The edge frames the byte stream into whole packets (MQTT.js sends every
 * field as its own WebSocket message), reads and authenticates CONNECT, and then hands whole
 * packets to the session's object over a hibernatable link socket, several per message. So
 * the object never holds a partial packet (nothing is lost when it hibernates or restarts
 * under a live socket), pays one event per burst instead of one per field, and is never woken
 * for keep-alive: PINGREQ is answered and keep-alive enforced here. Refusals are CONNACKs; a
 * connection that never sends CONNECT is closed after a few seconds.
 */
import { LINK_CLOSE, MqttFramer, MqttProtocolError, MqttStream, connectFailure, encode, isPingreq, joinFrames, type MqttPacket, type ProtocolVersion } from "../../protocols/mqtt";
import type { Env } from "../../durable-objects/env";
import { logText } from "../../protocols/log-text";
import { authenticateConnect, type EdgeOptions } from "./authenticate";
import { maxKeepAlive, socketFloodMs } from "../../durable-objects/device/config";
import { PollWindow } from "../../durable-objects/shared/poll-window";
import { numberVar } from "../../durable-objects/vars";

const PINGRESP = Uint8Array.of(0xd0, 0x00);
/** Queued packets past this size go to the object at once rather than on the next turn. */
const UPSTREAM_FLUSH_BYTES = 64 * 1024;

/** A WebSocket close code that may be sent (1005/1006 are reserved for "none"/"abnormal"). */
export function sendableCode(code: number): number {
  return code === 1000 || (code >= 3000 && code <= 4999) || [1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011].includes(code) ? code : 1000;
}

/** How long a socket may stay open without a complete CONNECT (var MQTT_CONNECT_TIMEOUT_SECONDS). */
export function connectTimeoutMs(env: Env): number {
  return numberVar(env, "MQTT_CONNECT_TIMEOUT_SECONDS") * 1000;
}

/** One client connection at the edge. */
export class MqttEdge {
  private readonly framer: MqttFramer;
  private stage: "connect" | "auth" | "linked" | "closed" = "connect";
  private version: ProtocolVersion = 4;
  private keepAlive = 0;
  private link: WebSocket | null = null;
  /** Frames that arrived while CONNECT was being authenticated. */
  private readonly pending: Uint8Array[] = [];
  private lastSeen = Date.now();
  /** Whole packets waiting to go to the object together (see {@link forward}). */
  private upstream: Uint8Array[] = [];
  private upstreamBytes = 0;
  private upstreamTimer: ReturnType<typeof setTimeout> | null = null;
  private timer: ReturnType<typeof setTimeout> | ReturnType<typeof setInterval> | null = null;
  /** The client's messages back to back: past the limit it is flooding (poll-window.ts). */
  private readonly window: PollWindow;

  constructor(
    private readonly env: Env,
    private readonly client: WebSocket,
    private readonly options: EdgeOptions,
  ) {
    this.framer = new MqttFramer({ maximumPacketSize: options.maximumPacketSize });
    this.window = new PollWindow(socketFloodMs(env));
  }

  /** Accepts the client socket and starts the CONNECT timer. */
  start(): void {
    this.client.accept();
    this.client.binaryType = "arraybuffer";
    this.client.addEventListener("message", (e) => this.onClientMessage(e.data));
    // The client's socket is gone: only the link is left to close.
    this.client.addEventListener("close", () => this.end(LINK_CLOSE.clientGone, "client gone", LINK_CLOSE.clientGone, false));
    this.client.addEventListener("error", () => this.end(LINK_CLOSE.clientGone, "client gone", LINK_CLOSE.clientGone, false));
    this.timer = setTimeout(() => {
      if (this.stage === "connect" || this.stage === "auth") this.end(1008, "no CONNECT in time");
    }, connectTimeoutMs(this.env));
  }

  private onClientMessage(data: unknown): void {
    if (this.stage === "closed") return;
    // Faster than the hub reads, back to back: v5 DISCONNECT 0x96 (message rate too high), close 1008.
    if (this.window.flooding(Date.now())) return this.stage === "linked" ? this.disconnect(0x96, LINK_CLOSE.protocolError, "flooding") : this.end(1008, "flooding");
    this.lastSeen = Date.now();
    // [MQTT-6.0.0-1] MQTT travels in binary frames only; v5 gets DISCONNECT 0x81 first.
    if (!(data instanceof ArrayBuffer)) return this.fail(new MqttProtocolError(0x81, "MQTT needs binary WebSocket frames"));
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(new Uint8Array(data));
    } catch (err) {
      if (!(err instanceof MqttProtocolError)) throw err;
      this.forward(err.frames);
      return this.fail(err);
    }
    this.forward(frames);
  }

  /** Sends whole packets on: CONNECT to authentication, PINGREQ answered here, the rest to the object. */
  private forward(frames: Uint8Array[]): void {
    if (frames.length === 0) return;
    if (this.stage === "connect") {
      const [connect, ...rest] = frames;
      this.pending.push(...rest);
      this.stage = "auth";
      void this.authenticate(connect!);
      return;
    }
    const upstream: Uint8Array[] = [];
    for (const frame of frames) {
      // [MQTT-3.12.4-1] answered at the edge: the object is not woken for keep-alive.
      if (isPingreq(frame)) this.sendClient(PINGRESP);
      else upstream.push(frame);
    }
    if (upstream.length === 0) return;
    if (this.stage === "auth") this.pending.push(...upstream);
    else if (this.stage === "linked") this.queueUpstream(upstream);
  }

  /**
   * Packets that arrive in one turn of the event loop (a client's burst: MQTT.js sends every field
   * as its own message) go to the object as one link message on the next turn, so the object pays
   * one event per burst, not one per packet. Order is kept, and nothing waits longer than a turn.
   */
  private queueUpstream(frames: Uint8Array[]): void {
    for (const f of frames) {
      this.upstream.push(f);
      this.upstreamBytes += f.byteLength;
    }
    if (this.upstreamBytes >= UPSTREAM_FLUSH_BYTES) this.flushUpstream();
    else this.upstreamTimer ??= setTimeout(() => this.flushUpstream(), 0);
  }

  private flushUpstream(): void {
    if (this.upstreamTimer) clearTimeout(this.upstreamTimer);
    this.upstreamTimer = null;
    if (this.upstream.length === 0) return;
    const frames = this.upstream;
    this.upstream = [];
    this.upstreamBytes = 0;
    this.sendLink(joinFrames(frames));
  }

  private async authenticate(frame: Uint8Array): Promise<void> {
    let packet: MqttPacket | undefined;
    try {
      // The framer let it through under MQTT_MAX_PACKET_BYTES; the codec's own default is 256 KiB.
      packet = new MqttStream({ role: "server", maximumPacketSize: this.options.maximumPacketSize }).push(frame.slice())[0];
    } catch (err) {
      if (!(err instanceof MqttProtocolError)) throw err;
      return this.fail(err);
    }
    if (packet?.type !== "connect") return this.end(1002, "first packet must be CONNECT");
    this.version = packet.protocolVersion;
    // v5 clients get Server Keep Alive when over the cap (or none asked): the same rule as the session's.
    const cap = maxKeepAlive(this.env as unknown as Record<string, unknown>);
    this.keepAlive = packet.protocolVersion === 5 && cap > 0 && (packet.keepAlive === 0 || packet.keepAlive > cap) ? cap : packet.keepAlive;
    this.framer.protocolVersion = packet.protocolVersion;
    let outcome: Awaited<ReturnType<typeof authenticateConnect>>;
    try {
      outcome = await authenticateConnect(this.env, packet, this.options);
    } catch (err) {
      console.error(`mqtt edge: CONNECT of ${logText(packet.clientId)} failed:`, err instanceof Error ? err.message : String(err));
      return this.refuse({ type: "connack", sessionPresent: false, reasonCode: this.version === 5 ? 0x88 : 0x03 });
    }
    if (this.stage === "closed") {
      if ("link" in outcome) closeQuietly(outcome.link, LINK_CLOSE.clientGone, "client gone");
      return;
    }
    if ("refusal" in outcome) return this.refuse(outcome.refusal);
    this.attach(outcome.link, frame);
  }

  private attach(link: WebSocket, connect: Uint8Array): void {
    link.accept();
    link.binaryType = "arraybuffer";
    link.addEventListener("message", (e) => {
      if (e.data instanceof ArrayBuffer) this.sendClient(e.data);
    });
    link.addEventListener("close", (e) => this.end(sendableCode(e.code), "closed by the session"));
    link.addEventListener("error", () => this.end(1011, "session error"));
    this.link = link;
    this.stage = "linked";
    this.sendLink(joinFrames([connect, ...this.pending.splice(0)]));
    this.watchKeepAlive();
  }

  /**
   * Keep-alive is enforced here, where the socket is (the object is told keep-alive 0): nothing
   * from the client for 1.5 × Keep Alive is a network failure [MQTT-3.1.2-24]; v5 clients get
   * DISCONNECT 0x8D, and the object, seeing the link close without DISCONNECT, sends the will.
   */
  private watchKeepAlive(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const seconds = this.keepAlive;
    if (seconds <= 0) return;
    const limit = seconds * 1500;
    this.timer = setInterval(() => {
      if (Date.now() - this.lastSeen > limit) this.disconnect(0x8d, LINK_CLOSE.keepAlive, "keep alive timeout");
    }, Math.max(1000, seconds * 250));
  }

  /** A malformed stream: CONNACK or DISCONNECT with the reason as the version allows, then close. */
  private fail(err: MqttProtocolError): void {
    if (this.stage === "connect" || this.stage === "auth") {
      const f = connectFailure(err);
      for (const p of f.out) this.sendClient(encode(p, err.protocolVersion ?? 4));
      return this.end(1002, "protocol error");
    }
    this.disconnect(err.reasonCode, LINK_CLOSE.protocolError, "protocol error");
  }

  /** DISCONNECT with `reasonCode` (v5 only; 3.1.1 has none), then close both sides. */
  private disconnect(reasonCode: number, linkCode: number, why: string): void {
    if (this.version === 5) this.sendClient(encode({ type: "disconnect", reasonCode }, 5));
    this.end(reasonCode === 0x8d ? 1000 : reasonCode === 0x96 ? 1008 : 1002, why, linkCode);
  }

  private refuse(connack: MqttPacket): void {
    this.sendClient(encode(connack, this.version));
    this.end(1000, "refused");
  }

  private sendClient(bytes: ArrayBuffer | Uint8Array): void {
    try {
      this.client.send(bytes);
    } catch {
      this.end(LINK_CLOSE.clientGone);
    }
  }

  private sendLink(bytes: Uint8Array): void {
    try {
      this.link?.send(bytes);
    } catch {
      // A link the session is closing ends with the session's code (its close event follows):
      // what the client sends meanwhile has nowhere to go.
      if (this.link?.readyState === WebSocket.OPEN) this.end(1011, "session gone");
    }
  }

  /** Closes both sockets once: the client with `code`, the link with `linkCode`. */
  private end(code: number, reason = "closed", linkCode: number = code, closeClient = true): void {
    if (this.stage === "closed") return;
    // What the client sent before it went (a DISCONNECT among it) still reaches the object.
    if (this.stage === "linked") this.flushUpstream();
    this.stage = "closed";
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // Closing a socket whose peer vanished only makes workerd log "Network connection lost".
    if (closeClient) closeQuietly(this.client, code, reason);
    if (this.link) closeQuietly(this.link, linkCode, reason);
  }
}

function closeQuietly(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(sendableCode(code), reason.slice(0, 120));
  } catch {
    // already closed
  }
}
