/**
 * A command result or method answer nobody waits for (an unknown id, another device's command,
 * one answered already) is refused on every protocol that can say so: JSON `error
 * unknown_command` / `unknown_request`, CoAP 4.04, and MQTT 5 PUBACK or PUBREC 0x83 with a Reason
 * String, on both paths. MQTT 3.1.1 has no refusal to give: PUBACK, and nothing is stored.
 */
import { describe, expect, it } from "vitest";
import { apiJson, createDevice } from "./client";
import { RawMqtt } from "./raw-mqtt";

const te = new TextEncoder();
const result = (topic: string, body: unknown, qos: 1 | 2, packetId: number) =>
  ({ type: "publish", topic, payload: te.encode(JSON.stringify(body)), qos, retain: false, dup: false, packetId }) as const;

describe("an MQTT 5 answer nobody waits for", () => {
  it.each([
    ["fast path", "ua-fast"],
    ["relay", "ua-relay"],
  ])("gets 0x83 with a Reason String, and a real result still gets 0 (%s)", async (path, id) => {
    const token = await createDevice(id);
    await createDevice(`${id}-other`);
    const foreign = await apiJson<{ id: string }>("POST", `/v1/devices/${id}-other/commands`, 201, { body: { name: "reboot" } });
    const raw = await RawMqtt.open(path === "relay" ? "/mqtt" : `/mqtt/${id}`, 5);
    expect((await raw.connect(id, token)).reasonCode).toBe(0);
    raw.send(result(`devices/${id}/commands/cmd_nope/result`, { status: "completed" }, 1, 1));
    expect(await raw.next("puback")).toMatchObject({ packetId: 1, reasonCode: 0x83, properties: { reasonString: 'no pending command "cmd_nope"' } });
    // another device's command id, through this device's own topic
    raw.send(result(`devices/${id}/commands/${foreign.id}/result`, { status: "completed" }, 2, 2));
    expect(await raw.next("pubrec")).toMatchObject({ packetId: 2, reasonCode: 0x83 });
    raw.send(result(`devices/${id}/methods/req_nope/response`, { status: 200 }, 1, 3));
    expect(await raw.next("puback")).toMatchObject({ packetId: 3, reasonCode: 0x83, properties: { reasonString: expect.stringMatching(/req_nope/) } });
    expect((await apiJson<{ status: string }>("GET", `/v1/devices/${id}-other/commands/${foreign.id}`, 200)).status).toBe("queued");
    // a command of its own is taken, and only once
    const own = await apiJson<{ id: string }>("POST", `/v1/devices/${id}/commands`, 201, { body: { name: "blink" } });
    raw.send(result(`devices/${id}/commands/${own.id}/result`, { status: "completed", result: 1 }, 1, 4));
    expect(await raw.next("puback")).toMatchObject({ packetId: 4, reasonCode: 0 });
    expect((await apiJson<{ status: string }>("GET", `/v1/devices/${id}/commands/${own.id}`, 200)).status).toBe("completed");
    raw.send(result(`devices/${id}/commands/${own.id}/result`, { status: "failed" }, 1, 5));
    expect(await raw.next("puback")).toMatchObject({ packetId: 5, reasonCode: 0x83 });
    expect((await apiJson<{ status: string }>("GET", `/v1/devices/${id}/commands/${own.id}`, 200)).status).toBe("completed");
    raw.close();
  });

  it("over MQTT 3.1.1 is acknowledged (no refusal exists there) and changes nothing", async () => {
    const token = await createDevice("ua-v4");
    const raw = await RawMqtt.open("/mqtt/ua-v4", 4);
    expect((await raw.connect("ua-v4", token)).reasonCode).toBe(0);
    raw.send(result("devices/ua-v4/commands/cmd_nope/result", { status: "completed" }, 1, 1));
    expect(await raw.next("puback")).toMatchObject({ packetId: 1 });
    raw.close();
  });
});
