/**
 * What a device protocol (JSON-WS, MQTT) provides to `Device`, and what it reports back. A
 * transport makes one connection attempt per `connect()`; `Device` owns retrying and backoff,
 * so both protocols reconnect the same way.
 */
import type { CommandStatus, JsonObject, JsonValue } from "./messages";

/** A command as the device's handler sees it. */
export interface Command {
  id: string;
  name: string;
  payload: JsonValue;
}

/** A direct method call as the device's handler sees it. */
export interface MethodCall {
  id: string;
  name: string;
  payload: JsonValue;
}

/** Why a live connection ended. */
export interface Drop {
  /** True when reconnecting cannot help (credential revoked, session taken over by a newer one). */
  permanent: boolean;
  message: string;
}

/** Callbacks a transport makes into its `Device`. */
export interface TransportEvents {
  /** A non-empty shadow delta arrived. */
  delta(shadow: string, state: JsonObject, version: number): void;
  /** A command arrived; `respond` sends its result (at least once: across reconnects too). */
  command(command: Command, respond: (status: CommandStatus, result: JsonValue) => void): void;
  /** A method call arrived; `respond` answers it. */
  method(call: MethodCall, respond: (status: number, payload: JsonValue) => void): void;
  /** The live connection ended. */
  drop(drop: Drop): void;
  /** Something went wrong that concerns no pending call (the hub refused a message). */
  error(error: Error): void;
}

/** One device protocol. */
export interface Transport {
  /** One connection attempt: resolves when connected, rejects with `ConnectError`. */
  connect(): Promise<void>;
  /** Reports `state` into the shadow; resolves with the new version. Queued while offline. */
  report(shadow: string, state: JsonObject): Promise<number>;
  /** Sends telemetry; resolves once the hub stored it (its ack). Queued while offline. */
  telemetry(data: JsonObject, ts: number | undefined): Promise<void>;
  /** Ends the connection for good; pending calls reject with `ClosedError`. */
  close(): Promise<void>;
}
