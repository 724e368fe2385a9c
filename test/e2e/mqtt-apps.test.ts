/** MQTT app sessions: user name `app`, an API key or OAuth token as password, topics by scope. */
import { describe, expect, it } from "vitest";
import type { MqttClient } from "mqtt";
import { adminToken, apiJson, createDevice, eventually } from "./client";
import { Inbox, connectMqtt } from "./mqtt-client";

async function appKey(scopes: string[]): Promise<string> {
  return (await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: `app-${scopes.join("+")}`, scopes } })).key;
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

    // In force at SUBACK: the first publish after it arrives, as the device sent it.
    await dev.publishAsync("devices/app-dev-1/telemetry", JSON.stringify({ watts: 42 }), { qos: 1 });
    const [t] = await inbox.waitFor("devices/app-dev-1/telemetry");
    expect(JSON.parse(t!.payload)).toEqual({ watts: 42 });

    await apiJson("POST", "/v1/devices/app-dev-1/shadow", 200, { body: { state: { desired: { on: true } } } });
    const [doc] = await inbox.waitFor("$aws/things/app-dev-1/shadow/update/documents");
    expect(JSON.parse(doc!.payload)).toMatchObject({ current: { state: { desired: { on: true } } } });

    await app.publishAsync("devices/app-dev-1/commands/reboot", JSON.stringify({ delay: 5 }), { qos: 1 });
    // Through the device's command queue: a 3.1.1 device gets the command id as the last topic level.
    const cmd = await eventually(async () => devInbox.messages.find((m) => m.topic.startsWith("devices/app-dev-1/commands/reboot/")));
    expect(JSON.parse(cmd.payload)).toEqual({ delay: 5 });
    await Promise.all([app.endAsync(), dev.endAsync()]);
  });

  it("gets a device's PUBLISH as the device sent it: topic, payload bytes, QoS capped by the subscription, v5 properties", async () => {
    const key = await appKey(["devices:read"]);
    const token = await createDevice("app-raw-1");
    const app = await connectMqtt("/mqtt", { clientId: "raw-reader", username: "app", password: key, protocolVersion: 5 });
    const got: { topic: string; payload: Buffer; qos: number; properties: Record<string, unknown> | undefined }[] = [];
    app.on("message", (topic, payload, packet) => got.push({ topic, payload, qos: packet.qos, properties: packet.properties as Record<string, unknown> | undefined }));
    await app.subscribeAsync("devices/+/telemetry/temp", { qos: 0 });
    await app.subscribeAsync("devices/+/telemetry/raw", { qos: 1 });
    const dev = await connectMqtt("/mqtt/app-raw-1", { clientId: "app-raw-1", password: token, protocolVersion: 5 });
    await dev.publishAsync("devices/app-raw-1/telemetry/temp", "22.5", { qos: 0 });
    const cbor = Buffer.from([0xa1, 0x61, 0x74, 0xf9, 0x4d, 0x60]); // {"t": 21.5} in CBOR
    await dev.publishAsync("devices/app-raw-1/telemetry/raw", cbor, {
      qos: 1,
      properties: { contentType: "application/cbor", userProperties: { site: "north" }, correlationData: Buffer.from("c-1"), messageExpiryInterval: 600 },
    });
    const until = Date.now() + 10_000;
    while (got.length < 2 && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
    const temp = got.find((m) => m.topic === "devices/app-raw-1/telemetry/temp");
    const raw = got.find((m) => m.topic === "devices/app-raw-1/telemetry/raw");
    expect(temp).toMatchObject({ qos: 0 });
    expect(temp!.payload.toString()).toBe("22.5");
    expect(raw).toMatchObject({ qos: 1 });
    expect([...raw!.payload]).toEqual([...cbor]);
    expect(raw!.properties).toMatchObject({ contentType: "application/cbor", userProperties: { site: "north" } });
    expect(Buffer.from(raw!.properties!.correlationData as Buffer).toString()).toBe("c-1");
    expect(raw!.properties!.messageExpiryInterval).toBeGreaterThan(590);
    // The hub stored both as telemetry too.
    const latest = await apiJson<Record<string, { value: unknown }>>("GET", "/v1/devices/app-raw-1/telemetry/latest", 200);
    expect(latest.temp?.value).toBe(22.5);
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

  it("refuses a command whose name REST would refuse, instead of acknowledging it and passing it to the device raw", async () => {
    const writer = await appKey(["commands:write"]);
    const app = await connectMqtt("/mqtt", { clientId: "writer-bad-name", username: "app", password: writer, protocolVersion: 5 });
    const code = (topic: string) =>
      new Promise<number | undefined>((resolve) =>
        app.publish(topic, "{}", { qos: 1 }, (e, packet) => resolve((packet as { reasonCode?: number } | undefined)?.reasonCode ?? (e as { code?: number } | null)?.code)),
      );
    for (const name of ["ü", "a b", "x".repeat(65)]) expect(await code(`devices/app-dev-1/commands/${name}`)).toBe(0x87);
    // nor, whatever a policy grants (admin here), the topics the hub hands commands and calls on: a device got them raw
    const admin = await connectMqtt("/mqtt", { clientId: "admin-forger", username: "app", password: adminToken(), protocolVersion: 5 });
    const adminCode = (topic: string) =>
      new Promise<number | undefined>((resolve) =>
        admin.publish(topic, "{}", { qos: 1 }, (e, packet) => resolve(e ? (e as { code?: number }).code : ((packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0))),
      );
    for (const topic of ["devices/app-dev-1/commands/reboot/cmd_forged", "devices/app-dev-1/methods/unlock", "devices/app-dev-1/methods/unlock/req_forged"]) expect(await adminCode(topic)).toBe(0x87);
    expect(await adminCode("devices/app-dev-1/commands/reboot")).toBe(0);
    await admin.endAsync();
    expect((await apiJson<{ items: { name: string }[] }>("GET", "/v1/devices/app-dev-1/commands?limit=100", 200)).items.map((c) => c.name)).not.toContain("a b");
    await app.endAsync();
  });
});
