/**
 * Presence when a device's connection is taken over by one over another protocol: the device is
 * connected, over the new one, until that one goes. Before, the old connection's close (JSON or
 * CoAP taken over by MQTT, MQTT by JSON or CoAP) marked the device disconnected 15 ms after the
 * new one connected, for good, while it went on taking commands.
 */
import { describe, expect, it } from "vitest";
import { apiJson, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";
import { connectMqtt } from "./mqtt-client";
import { CoapWsClient } from "../clients/coap-ws-client";

type Protocol = "json" | "mqtt" | "coap";
interface Status {
  status: { connected: boolean; protocol: string };
}

/** Connects the device over `protocol`; resolves to what closes that connection. */
async function open(protocol: Protocol, id: string, token: string): Promise<() => Promise<unknown>> {
  if (protocol === "json") {
    const s = await JsonSocket.open(token);
    // a socket the hub closed on takeover may never see its TCP end (workerd holds it): dropped, not closed
    return async () => s.ws.terminate();
  }
  if (protocol === "mqtt") {
    const c = await connectMqtt(`/mqtt/${id}`, { clientId: id, password: token, protocolVersion: 5 });
    return () => c.endAsync();
  }
  const c = await CoapWsClient.connect(`${hubUrl().replace("http", "ws")}/.well-known/coap`);
  await c.request({ method: "GET", path: "shadow", query: [`auth=${token}`] });
  return () => c.close().catch(() => undefined);
}

const status = async (id: string) => (await apiJson<Status>("GET", `/v1/devices/${id}`, 200)).status;

describe("presence across a takeover by another protocol", () => {
  it.each<[Protocol, Protocol]>([
    ["json", "mqtt"],
    ["mqtt", "json"],
    ["mqtt", "coap"],
    ["coap", "mqtt"],
  ])("%s taken over by %s: connected over the new one, until it goes", async (first, second) => {
    const id = `pt-${first}-${second}`;
    const token = await createDevice(id);
    const closeFirst = await open(first, id, token);
    await eventually(async () => (await status(id)).connected);
    const closeSecond = await open(second, id, token);
    await eventually(async () => (await status(id)).protocol === second);
    // the old connection's end has come and gone by now (it did within 15 ms)
    await new Promise((r) => setTimeout(r, 500));
    expect(await status(id)).toMatchObject({ connected: true, protocol: second });
    await closeSecond();
    await eventually(async () => !(await status(id)).connected);
    await closeFirst();
  });
});
