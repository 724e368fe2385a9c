/**
 * Umbra's MQTT 3.1.1 / 5.0 layer, pure and platform-free: the codec
 * ({@link MqttStream}, {@link encode}), topic rules, the access policy and the
 * session state machine. See session.ts for how a host drives it.
 */
export { DEFAULT_MAXIMUM_PACKET_SIZE, MqttStream, encode, type CodecRole, type MqttStreamOptions } from "./codec";
export { MqttProtocolError } from "./errors";
export { LINK_CLOSE, MqttFramer, isPingreq, joinFrames, packetType, type MqttFramerOptions } from "./framer";
export * from "./packets";
export * from "./policy";
export * from "./session";
export * from "./topics";
export * from "./shared-subscriptions";
