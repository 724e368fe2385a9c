import type { Env } from "../durable-objects/env";
import type { DeviceObject } from "../durable-objects/device/device-object";

/**
 * The RPC surface of a DeviceObject as the Worker sees it. Results are structured-cloned
 * plain data, so the class's own signatures are used directly instead of the RPC type
 * mapping, which gives up ("excessively deep") on recursive JSON types.
 */
export type DeviceApi = Pick<
  DeviceObject,
  "health" | "status" | "shadow" | "shadowNames" | "shadowHistory" | "ingestTelemetry" | "telemetry" | "telemetryBuckets" | "latestTelemetry" | "disconnect" | "credentialRevoked" | "accessChanged" | "wipe" | "enqueueCommand" | "listCommands" | "getCommand" | "invokeMethod" | "reportCommandResult" | "answerMethod" | "rulesChanged" | "streamsRevoked" | "streamsRenewed"
> & { fetch(request: Request): Promise<Response> };

/** The Durable Object of a device: one per device id, addressed by name. */
export function deviceStub(env: Env, deviceId: string): DeviceApi {
  return env.DEVICE.get(env.DEVICE.idFromName(deviceId)) as unknown as DeviceApi;
}
