import type { MqttPacket, ProtocolVersion } from "./packets";

/**
 * The one error the MQTT layer throws for bad input.
 *
 * `reasonCode` is an MQTT 5 reason code (0x81 malformed, 0x82 protocol error,
 * 0x84 unsupported protocol version, 0x95 packet too large, ...). A host answers
 * it with {@link protocolError} from the session module, which picks the right
 * CONNACK or DISCONNECT for the connection's protocol version, and then closes.
 *
 * @example
 * try { packets = stream.push(bytes) } catch (e) {
 *   if (e instanceof MqttProtocolError) run(protocolError(state, e, Date.now()))
 *   else throw e
 * }
 */
export class MqttProtocolError extends Error {
  /** MQTT 5 reason code describing the failure. */
  readonly reasonCode: number;
  /** Protocol version of the connection, when known at the time of the error. */
  protocolVersion: ProtocolVersion | undefined;
  /**
   * Complete packets decoded from the same `push` before the bad bytes. They were
   * well formed; a host may process them before closing the connection.
   */
  packets: MqttPacket[] = [];
  /** The same for the framer: whole packets (undecoded) framed before the bad bytes. */
  frames: Uint8Array[] = [];

  /** @param reasonCode MQTT 5 reason code. */
  constructor(reasonCode: number, message: string, protocolVersion?: ProtocolVersion) {
    super(message);
    this.name = "MqttProtocolError";
    this.reasonCode = reasonCode;
    this.protocolVersion = protocolVersion;
  }
}

/** Shorthand for a malformed packet (0x81). */
export function malformed(message: string): MqttProtocolError {
  return new MqttProtocolError(0x81, message);
}

/** Shorthand for a protocol error (0x82). */
export function protocolViolation(message: string): MqttProtocolError {
  return new MqttProtocolError(0x82, message);
}
