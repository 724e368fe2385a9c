/**
 * The per-device limit on HTTP writes (telemetry and shadow POSTs): `DEVICE_HTTP_RATE` per
 * second with a burst of `DEVICE_HTTP_BURST` (50 and 100 by default), shared by the device and
 * the apps writing to it, answered with 429 `too-many-requests` and Retry-After.
 */
import type { Env } from "../../durable-objects/env";
import { limit, rateVars, tooManyRequests } from "./limit";

/** Throws the 429 when `deviceId` has used up its HTTP writes. */
export async function limitDeviceWrite(env: Env, deviceId: string): Promise<void> {
  const d = await limit(env, `device-http:${deviceId}`, rateVars(env, "DEVICE_HTTP"));
  if (!d.ok) throw tooManyRequests(d.retryAfterSeconds, `writes to device "${deviceId}"`);
}
