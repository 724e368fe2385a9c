/**
 * One simulated device, whatever its protocol: it reports telemetry when told, obeys every delta
 * by reporting the desired state back, completes every command and answers every method. SDK
 * devices (JSON, MQTT) and the CoAP device share this behaviour and these counters.
 */
import { Device } from "../../sdk/node";
import type { JsonObject, JsonValue } from "../../sdk/node";
import { CoapDevice } from "./coap-device";

/** The protocols a simulated device may speak. */
export const SIM_PROTOCOLS = ["json", "mqtt", "coap"] as const;
export type SimProtocol = (typeof SIM_PROTOCOLS)[number];

/** What a simulated device tells the simulator. */
export interface SimHooks {
  delta(): void;
  command(): void;
  method(): void;
  disconnected(): void;
  reconnected(): void;
  error(e: unknown): void;
}

/** A connected simulated device. */
export interface SimDevice {
  readonly id: string;
  /** Sends one sample; resolves once the hub stored it. */
  telemetry(data: JsonObject): Promise<void>;
  close(): Promise<void>;
}

/** A command's result from a simulated device. */
export const commandResult = (deviceId: string, name: string): JsonValue => ({ ok: true, device: deviceId, command: name });

/** A method's answer from a simulated device: it echoes the payload. */
export const methodAnswer = (deviceId: string, name: string, payload: JsonValue): JsonValue => ({ device: deviceId, method: name, payload });

/** Connects one simulated device. */
export async function openSimDevice(protocol: SimProtocol, url: string, id: string, token: string, hooks: SimHooks): Promise<SimDevice> {
  if (protocol === "coap") return CoapDevice.connect({ url, deviceId: id, token, hooks });
  const device = await Device.connect({ url, deviceId: id, token, protocol, connectAttempts: 5, connectTimeoutMs: 20_000 });
  device.onStatus((s) => {
    if (s.kind === "disconnected") hooks.disconnected();
    else if (s.kind === "connected" && s.reconnect) hooks.reconnected();
    else if (s.kind === "stopped" && s.reason !== "closed") hooks.error(new Error(`${id} stopped: ${s.reason}`));
  });
  device.onError((e) => hooks.error(e));
  device.onDelta(async (state) => {
    hooks.delta();
    await device.report(state);
  });
  device.onCommand((c) => {
    hooks.command();
    return commandResult(id, c.name);
  });
  device.onMethod("*", (payload, call) => {
    hooks.method();
    return methodAnswer(id, call.name, payload);
  });
  return { id, telemetry: (data) => device.sendTelemetry(data), close: () => device.close() };
}
