/**
 * The Umbra SDK for browsers and any runtime with a global WebSocket (no Node-only imports here;
 * Node 20 uses `umbra/sdk`, sdk/node.ts, which adds `ws`).
 * @example
 * import { App, Device } from "umbra/sdk";
 */
export { App } from "./app";
export type { AppOptions } from "./app";
export type { AppCredentials } from "./auth";
export { OAuthError } from "./auth";
export { Device } from "./device";
export type { DeviceOptions } from "./device";
export type { DeltaHandler, DeviceStatus } from "./device-handlers";
export { EventStreamError } from "./events";
export type { EventStream, EventsOptions } from "./events";
export { ClosedError, CommandRejected, ConnectError, HubRefusedError, MethodError, ShadowRejectedError, TimeoutError } from "./errors";
export { ApiError, ok } from "./result";
export { Backoff, backoffDelay } from "./backoff";
export type { BackoffOptions } from "./backoff";
export type { Command, MethodCall } from "./transport";
export type { CommandStatus, DeviceEvent, DeviceEventType, JsonObject, JsonValue } from "./messages";
export type { SocketFactory, SocketLike } from "./socket";
export { setDefaultSocketFactory } from "./socket";
export type { paths, components, operations } from "./openapi/index";
