/** The errors the SDK throws, each saying whether trying again can help. */
import type { JsonValue } from "./messages";

/**
 * A connection attempt failed. `permanent` when the hub refused the credential (or the session
 * was taken over): retrying would fail the same way, so the device stops.
 */
export class ConnectError extends Error {
  override readonly name = "ConnectError";

  constructor(
    message: string,
    readonly permanent: boolean,
    /** HTTP status of a refused upgrade, MQTT CONNACK reason, or WebSocket close code. */
    readonly code?: number,
  ) {
    super(message);
  }
}

/** The hub refused a device message (`error` on the JSON socket, a PUBACK reason code over MQTT). */
export class HubRefusedError extends Error {
  override readonly name = "HubRefusedError";

  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** A shadow update was rejected (AWS error document: `code` is an HTTP status, 409 a version conflict). */
export class ShadowRejectedError extends Error {
  override readonly name = "ShadowRejectedError";

  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/** No answer from the hub in time. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

/** The device was closed while the operation was pending. */
export class ClosedError extends Error {
  override readonly name = "ClosedError";
}

/**
 * Thrown from an `onCommand` handler to refuse the command (status `rejected`, e.g. it does not
 * apply now); any other throw makes it `failed`.
 * @example device.onCommand((c) => { if (c.name !== "reboot") throw new CommandRejected("unknown command"); });
 */
export class CommandRejected extends Error {
  override readonly name = "CommandRejected";

  constructor(
    message: string,
    /** The command's result (default `{error: message}`). */
    readonly result?: JsonValue,
  ) {
    super(message);
  }
}

/**
 * Thrown from an `onMethod` handler to answer with an HTTP-like status other than 500.
 * @example throw new MethodError(400, "speed must be 1–10");
 */
export class MethodError extends Error {
  override readonly name = "MethodError";

  constructor(
    readonly status: number,
    message: string,
    /** The answer's payload (default `{error: message}`). */
    readonly payload?: JsonValue,
  ) {
    super(message);
  }
}
