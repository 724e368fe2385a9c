/**
 * The SDK's Device against the real hub, over JSON-WS and over MQTT (5.0 and 3.1.1): an open delta
 * is obeyed by reporting it, telemetry resolves once stored, commands get the handler's result
 * and methods its answer, and App's typed REST and event stream see it all.
 */
import { afterAll, describe, expect, it } from "vitest";
import { App, CommandRejected, Device, MethodError, ok } from "../../sdk/node";
import type { DeviceEvent } from "../../sdk/node";
import { adminToken, eventually, hubUrl } from "./client";

const cases = [
  { protocol: "json", mqttVersion: 5 },
  { protocol: "mqtt", mqttVersion: 5 },
  { protocol: "mqtt", mqttVersion: 4 },
] as const;

const open: Device[] = [];
afterAll(async () => {
  await Promise.all(open.map((d) => d.close()));
});

/** Registers a device and returns its token. */
async function register(app: App, id: string): Promise<string> {
  return (await ok(app.api.POST("/v1/devices", { body: { id } }))).credential.token;
}

/** Collects a device's events from an App stream (opened before the call returns). */
async function watch(app: App, id: string): Promise<{ events: DeviceEvent[]; stop: () => Promise<void> }> {
  const events: DeviceEvent[] = [];
  let opened!: () => void;
  const ready = new Promise<void>((r) => (opened = r));
  const stream = app.events(id, { onOpen: opened });
  const reading = (async () => {
    for await (const e of stream) events.push(e);
  })();
  await ready;
  // close() ends the loop at once, though it is waiting for the next event.
  return { events, stop: async () => (stream.close(), await reading) };
}

describe.each(cases)("Device over $protocol (MQTT $mqttVersion)", ({ protocol, mqttVersion }) => {
  const id = `sdk-${protocol}-${mqttVersion}`;
  const app = () => new App({ url: hubUrl(), token: adminToken() });

  it("obeys the open delta by reporting it, and telemetry resolves once the hub stored it", async () => {
    const a = app();
    const token = await register(a, id);
    await ok(a.api.POST("/v1/devices/{id}/shadow", { params: { path: { id } }, body: { state: { desired: { color: "red" } } } }));
    const stream = await watch(a, id);
    const device = await Device.connect({ url: hubUrl(), deviceId: id, token, protocol, mqttVersion });
    open.push(device);
    const obeyed = new Promise<number>((resolve) => device.onDelta(async (state) => resolve(await device.report(state))));
    expect(await obeyed).toBe(2);
    const ts = Date.now() - 5000;
    await device.sendTelemetry({ temp: 21.5 }, ts);
    await device.sendTelemetry({ temp: 22 });
    // Resolved means stored: the rows are there without waiting.
    const rows = await ok(a.api.GET("/v1/devices/{id}/telemetry", { params: { path: { id } } }));
    expect(rows.items.map((r) => ("data" in r ? r.data : r))).toEqual([{ temp: 21.5 }, { temp: 22 }]);
    expect(rows.items[0]!.ts).toBe(ts);
    const shadow = await ok(a.api.GET("/v1/devices/{id}/shadow", { params: { path: { id } } }));
    expect(shadow.state).toEqual({ desired: { color: "red" }, reported: { color: "red" } });
    await eventually(async () => stream.events.filter((e) => e.type === "telemetry").length === 2);
    await stream.stop();
    expect(stream.events.map((e) => e.type)).toEqual(expect.arrayContaining(["presence.connected", "shadow.updated", "telemetry"]));
  });

  it("completes commands with the handler's result, rejects and fails them by what it throws, and answers methods", async () => {
    const a = app();
    const device = open.find((d) => d.deviceId === id)!;
    device.onCommand((c) => {
      if (c.name === "blink") return { blinked: (c.payload as { times: number }).times };
      if (c.name === "fly") throw new CommandRejected("cannot fly");
      throw new Error("broken");
    });
    device.onMethod("double", (p) => ({ n: (p as { n: number }).n * 2 }));
    device.onMethod("strict", () => {
      throw new MethodError(422, "no");
    });
    const send = (name: string, payload?: unknown) => ok(a.api.POST("/v1/devices/{id}/commands", { params: { path: { id } }, body: { name, payload } }));
    const sent = [await send("blink", { times: 3 }), await send("fly"), await send("melt")];
    const final = await eventually(async () => {
      const list = await Promise.all(sent.map((c) => ok(a.api.GET("/v1/devices/{id}/commands/{cmdId}", { params: { path: { id, cmdId: c.id } } }))));
      return list.every((c) => c.status !== "queued" && c.status !== "delivered") && list;
    });
    expect(final.map((c) => [c.status, c.result, c.protocol])).toEqual([
      ["completed", { blinked: 3 }, protocol],
      ["rejected", { error: "cannot fly" }, protocol],
      ["failed", { error: "broken" }, protocol],
    ]);
    const call = (name: string, payload: unknown) => ok(a.api.POST("/v1/devices/{id}/methods/{name}", { params: { path: { id, name } }, body: { payload, timeoutSeconds: 10 } }));
    expect(await call("double", { n: 21 })).toEqual({ status: 200, payload: { n: 42 } });
    expect(await call("strict", null)).toEqual({ status: 422, payload: { error: "no" } });
    expect(await call("unknown", null)).toEqual({ status: 404, payload: { error: 'no method "unknown" on this device' } });
  });
});

describe("App", () => {
  it("authenticates as an OAuth client (client credentials) and streams events over SSE as a browser would", async () => {
    const admin = new App({ url: hubUrl(), token: adminToken() });
    const client = await ok(admin.api.POST("/v1/oauth-clients", { body: { name: "sdk-test", scopes: ["devices:read", "devices:write"] } }));
    const app = new App({ url: hubUrl(), clientId: client.client_id, clientSecret: client.client_secret });
    const token = await register(app, "sdk-oauth");
    expect((await app.token()).split(".")).toHaveLength(3);
    const seen: string[] = [];
    let opened!: () => void;
    const ready = new Promise<void>((r) => (opened = r));
    const reading = (async () => {
      for await (const e of app.events("sdk-oauth", { transport: "sse", onOpen: opened })) {
        seen.push(e.type);
        if (e.type === "telemetry") break; // closes the stream
      }
    })();
    await ready;
    const device = await Device.connect({ url: hubUrl(), deviceId: "sdk-oauth", token });
    await device.sendTelemetry({ n: 1 });
    await reading;
    await device.close();
    expect(seen).toEqual(["presence.connected", "telemetry"]);
  });

  it("ends the event stream of a device that does not exist with a 404", async () => {
    const app = new App({ url: hubUrl(), token: adminToken() });
    const iterate = async () => {
      for await (const _ of app.events("sdk-nobody")) break;
    };
    await expect(iterate()).rejects.toMatchObject({ name: "EventStreamError", status: 404 });
  });
});
