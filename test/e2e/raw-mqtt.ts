/**
 * A raw MQTT-over-WebSocket client for tests that must control the bytes: split packets,
 * pauses, text frames, or read exactly which packets (and close code) the hub answers with.
 * Packets are encoded and decoded by the project's codec (client role).
 */
import WebSocket from "ws";
import { MqttStream, encode, type ConnectPacket, type MqttPacket, type ProtocolVersion } from "../../protocols/mqtt";
import { hubUrl } from "./client";

export class RawMqtt {
  readonly packets: MqttPacket[] = [];
  closed: { code: number; reason: string } | null = null;
  private stream: MqttStream;
  private readonly closing: Promise<{ code: number; reason: string }>;

  private constructor(
    readonly ws: WebSocket,
    readonly version: ProtocolVersion,
  ) {
    this.stream = new MqttStream({ role: "client", protocolVersion: version });
    ws.on("message", (data: Buffer) => this.packets.push(...this.stream.push(new Uint8Array(data))));
    this.closing = new Promise((resolve) =>
      ws.once("close", (code: number, reason: Buffer) => {
        this.closed = { code, reason: String(reason) };
        resolve(this.closed);
      }),
    );
  }

  /** Opens a socket on `path` (e.g. `/mqtt` or `/mqtt/<id>`) with subprotocol `mqtt`. */
  static async open(path: string, version: ProtocolVersion = 4, base = hubUrl()): Promise<RawMqtt> {
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}${path}`, ["mqtt"]);
    const c = new RawMqtt(ws, version);
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
      ws.once("unexpected-response", (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
    });
    return c;
  }

  /** Encodes a packet for this connection's version. */
  bytes(p: MqttPacket): Uint8Array {
    return encode(p, this.version);
  }

  send(p: MqttPacket | Uint8Array): void {
    this.ws.send(p instanceof Uint8Array ? p : this.bytes(p));
  }

  /** Sends CONNECT (client id, password) and waits for the CONNACK. */
  async connect(clientId: string, password: string | null, extra: Partial<ConnectPacket> = {}): Promise<MqttPacket & { type: "connack" }> {
    this.send({
      type: "connect",
      protocolId: "MQTT",
      protocolVersion: this.version,
      clientId,
      clean: true,
      keepAlive: 0,
      ...(password === null ? {} : { username: clientId, password: new TextEncoder().encode(password) }),
      ...extra,
    } as ConnectPacket);
    return (await this.next("connack")) as MqttPacket & { type: "connack" };
  }

  /** The next packet of `type` (already received or arriving within `ms`). */
  async next<T extends MqttPacket["type"]>(type: T, ms = 10_000): Promise<Extract<MqttPacket, { type: T }>> {
    const until = Date.now() + ms;
    for (;;) {
      const i = this.packets.findIndex((p) => p.type === type);
      if (i >= 0) return this.packets.splice(i, 1)[0] as Extract<MqttPacket, { type: T }>;
      if (Date.now() > until) throw new Error(`no ${type} within ${ms} ms; got ${this.packets.map((p) => p.type).join(",")}; closed ${JSON.stringify(this.closed)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Resolves with the close code and reason once the hub closes the socket. */
  whenClosed(ms = 10_000): Promise<{ code: number; reason: string }> {
    return Promise.race([this.closing, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not closed within ${ms} ms`)), ms))]);
  }

  close(): void {
    this.ws.close();
  }
}
