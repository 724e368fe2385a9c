/**
 * The plain-JSON WebSocket protocol: parse device frames, build hub messages.
 * @example
 * const parsed = parseDeviceMessage(frame);
 * if (!parsed.ok) ws.send(encodeHubMessage(errorMessage(parsed.error)));
 */
export type * from "./messages";
export { parseDeviceMessage, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_MAX_MESSAGE_DEPTH } from "./parse";
export type { Frame, ParseOptions } from "./parse";
export { shadowDelta, shadowAccepted, shadowRejected, shadowReply, shadowDocuments, pong, errorMessage, encodeHubMessage } from "./encode";
