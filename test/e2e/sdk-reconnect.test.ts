/**
 * Devices of the SDK ride out a hub restart: the hub closes their sockets when it stops, they
 * back off and reconnect when it is back on the same address, telemetry sent while it was down
 * is delivered and acknowledged then, and deltas are obeyed again (JSON and MQTT alike).
 */
import { describe, expect, it } from "vitest";
import { App, Device, ok } from "../../sdk/node";
import type { DeviceStatus } from "../../sdk/node";
import { eventually } from "./client";
import { LocalHub } from "../../bench/lib/hub";

describe("Device across a hub restart", () => {
  it("reconnects with backoff, sends what waited, and obeys deltas again", async () => {
    // A hub of its own, stopped and started again on the same address.
    const hub = LocalHub.create("umbra-sdk-reconnect-");
    await hub.start();
    const devices: Device[] = [];
    try {
      const app = new App({ url: hub.url, token: hub.adminToken });
      const statuses = new Map<string, DeviceStatus["kind"][]>();
      for (const protocol of ["json", "mqtt"] as const) {
        const id = `rc-${protocol}`;
        const { credential } = await ok(app.api.POST("/v1/devices", { body: { id } }));
        // A long ack deadline: a message sent while the hub is down waits for it to come back.
        const d = await Device.connect({ url: hub.url, deviceId: id, token: credential.token, protocol, backoff: { initialMs: 200, maxMs: 2000 }, ackTimeoutMs: 120_000 });
        statuses.set(id, []);
        d.onStatus((s) => statuses.get(id)!.push(s.kind));
        d.onDelta(async (state) => void (await d.report(state)));
        await d.sendTelemetry({ phase: 1 });
        devices.push(d);
      }

      await hub.stop();
      await eventually(async () => [...statuses.values()].every((s) => s.includes("disconnected")), 30_000);
      const waited = devices.map((d) => d.sendTelemetry({ phase: 2 }));
      await hub.start();
      await Promise.all(waited);
      for (const s of statuses.values()) expect(s).toEqual(["disconnected", "connected"]);

      for (const d of devices) {
        const id = d.deviceId;
        const rows = await ok(app.api.GET("/v1/devices/{id}/telemetry", { params: { path: { id } } }));
        expect(rows.items.map((r) => ("data" in r ? r.data : r))).toEqual([{ phase: 1 }, { phase: 2 }]);
        await ok(app.api.POST("/v1/devices/{id}/shadow", { params: { path: { id } }, body: { state: { desired: { mode: "eco" } } } }));
        await eventually(async () => {
          const doc = await ok(app.api.GET("/v1/devices/{id}/shadow", { params: { path: { id } } }));
          return (doc.state as { reported?: { mode?: string } }).reported?.mode === "eco";
        });
      }
    } finally {
      await Promise.all(devices.map((d) => d.close()));
      await hub.dispose();
    }
  }, 240_000);
});
