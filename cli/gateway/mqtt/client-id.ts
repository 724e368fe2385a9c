/**
 * The client id of a relayed MQTT connection, for the gateway's log lines. The gateway never
 * interprets MQTT (the hub does); it only reads the first packet with the project's codec and
 * then stops looking.
 */
import { MqttStream } from "../../../protocols/mqtt";

/** Looks at a connection's first bytes until its first packet is complete (at most `limit` bytes). */
export class ConnectSniffer {
  private stream: MqttStream | null;
  private seen = 0;
  /** The CONNECT's client id, once read ("" is a legal, empty one). */
  clientId: string | undefined;

  constructor(private readonly limit = 64 * 1024) {
    this.stream = new MqttStream({ maximumPacketSize: limit });
  }

  /** Feeds bytes the client sent; cheap once the first packet has been read. */
  feed(bytes: Uint8Array): void {
    if (this.stream === null) return;
    this.seen += bytes.length;
    try {
      // the stream may keep views into what it is given: give it a copy
      const [first] = this.stream.push(Uint8Array.from(bytes));
      if (first !== undefined) {
        if (first.type === "connect") this.clientId = first.clientId;
        this.stream = null;
      }
    } catch {
      // not MQTT, or broken: the hub will say so; nothing to log from here
      this.stream = null;
    }
    if (this.seen > this.limit) this.stream = null;
  }
}
