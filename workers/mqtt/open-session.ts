import type { Env } from "../../durable-objects/env";
import { channelsOf } from "../registry/channels";
import { deviceStub } from "../objects";

/** Hands an MQTT upgrade to the device's object with what it needs to authorize the session. */
export async function openDeviceSession(env: Env, remote: string, deviceId: string, sub: string, auth: { relayed: true } | { relayed: false; hashes: string[] }) {
  const headers = new Headers({
    upgrade: "websocket",
    "x-umbra-device": deviceId,
    "x-umbra-subprotocol": sub,
    "x-umbra-remote": remote,
    "x-umbra-channels": JSON.stringify(await channelsOf(env, deviceId)),
  });
  if (auth.relayed) headers.set("x-umbra-relayed", "1");
  else headers.set("x-umbra-token-hashes", JSON.stringify(auth.hashes));
  return deviceStub(env, deviceId).fetch(new Request("https://device/connect/mqtt", { headers }));
}
