import type { Env } from "./env";

/** The Durable Object of a device: one per device id, addressed by name. */
export function deviceStub(env: Env, deviceId: string) {
  return env.DEVICE.get(env.DEVICE.idFromName(deviceId));
}
