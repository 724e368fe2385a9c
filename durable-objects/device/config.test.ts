import { describe, expect, it } from "vitest";
import { deviceConfig } from "./config";

describe("device config", () => {
  it("checks a connected device's presence every 10 minutes unless told otherwise, and never with 0", () => {
    expect(deviceConfig({}).presenceCheckMs).toBe(600_000);
    expect(deviceConfig({ PRESENCE_CHECK_SECONDS: "2" }).presenceCheckMs).toBe(2_000);
    expect(deviceConfig({ PRESENCE_CHECK_SECONDS: "0" }).presenceCheckMs).toBe(0);
    expect(deviceConfig({ PRESENCE_CHECK_SECONDS: 0 }).presenceCheckMs).toBe(0);
    for (const bad of ["", "soon", "-5"]) expect(deviceConfig({ PRESENCE_CHECK_SECONDS: bad }).presenceCheckMs).toBe(600_000);
  });

  it("takes MQTT_MAX_PACKET_BYTES up to the 1 MiB a WebSocket message to an object may hold", () => {
    expect(deviceConfig({}).mqtt.maximumPacketSize).toBe(262_144);
    expect(deviceConfig({ MQTT_MAX_PACKET_BYTES: "600000" }).mqtt.maximumPacketSize).toBe(600_000);
    expect(deviceConfig({ MQTT_MAX_PACKET_BYTES: "5000000" }).mqtt.maximumPacketSize).toBe(1_048_576);
  });
});

