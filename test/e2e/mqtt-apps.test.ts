/** MQTT app sessions: user name `app`, an API key or OAuth token as password, topics by scope. */
import { describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { apiJson, createDevice } from "./client";
import { Inbox, connectMqtt } from "./mqtt-client";

async function appKey(scopes: string[]): Promise<string> {
  return (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: `app-${scopes.join("+")}`, scopes } })).key;
}

/** The fleet index reaches device objects within seconds: retry the trigger until the app sees it. */
async function until(trigger: () => Promise<unknown>, seen: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!seen()) {
    if (Date.now() > deadline) throw new Error("app session never received the message");
    await trigger();
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe("MQTT app sessions", () => {
  it("subscribe across devices by scope and send commands to a device", async () => {
    const key = await appKey(["devices:read", "shadows:read", "commands:write"]);
    const token = await createDevice("app-dev-1");
    const app = await connectMqtt("/mqtt", { clientId: "dashboard-1", username: "app", password: key, protocolVersion: 5 });
    const inbox = new Inbox(app);
    await app.subscribeAsync(["devices/+/telemetry", "$aws/things/+/shadow/update/documents"], { qos: 1 });

    const dev = await connectMqtt("/mqtt/app-dev-1", { clientId: "app-dev-1", password: token, protocolVersion: 4 });
    const devInbox = new Inbox(dev);
    await dev.subscribeAsync("devices/app-dev-1/commands/#", { qos: 1 });

    await until(
      () => dev.publishAsync("devices/app-dev-1/telemetry", JSON.stringify({ watts: 42 }), { qos: 1 }),
      () => inbox.on("devices/app-dev-1/telemetry").length > 0,
    );
    expect(JSON.parse(inbox.on("devices/app-dev-1/telemetry")[0]!.payload)).toMatchObject({ data: { watts: 42 } });

    await apiJson("POST", "/v1/devices/app-dev-1/shadow", 200, { body: { state: { desired: { on: true } } } });
    const [doc] = await inbox.waitFor("$aws/things/app-dev-1/shadow/update/documents");
    expect(JSON.parse(doc!.payload)).toMatchObject({ current: { state: { desired: { on: true } } } });

    await app.publishAsync("devices/app-dev-1/commands/reboot", JSON.stringify({ delay: 5 }), { qos: 1 });
    const [cmd] = await devInbox.waitFor("devices/app-dev-1/commands/reboot");
    expect(JSON.parse(cmd!.payload)).toEqual({ delay: 5 });
    await Promise.all([app.endAsync(), dev.endAsync()]);
  });

  it("refuses a bad app credential and topics beyond the scopes", async () => {
    const err = await connectMqtt("/mqtt", { clientId: "x", username: "app", password: "umk_nope", protocolVersion: 5 }).then(
      (c: MqttClient) => (c.end(true), null),
      (e: { code?: number }) => e,
    );
    expect(err?.code).toBe(0x86);

    const reader = await appKey(["devices:read"]);
    const app = await connectMqtt("/mqtt", { clientId: "reader-1", username: "app", password: reader, protocolVersion: 5 });
    const codes = await new Promise<number[]>((resolve) =>
      app.subscribe(["#", "$aws/things/+/shadow/update/documents", "devices/+/telemetry"], { qos: 1 }, (e, granted) => {
        const packet = (e as { packet?: { granted?: number[] } } | null)?.packet;
        resolve(packet?.granted ?? (granted ?? []).map((g) => g.qos));
      }),
    );
    expect(codes).toEqual([0x87, 0x87, 1]);
    const puback = await new Promise<number | undefined>((resolve) =>
      app.publish("devices/app-dev-1/commands/x", "{}", { qos: 1 }, (e, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? (e as { code?: number } | null)?.code)),
    );
    expect(puback).toBe(0x87);
    await app.endAsync();
  });
});
