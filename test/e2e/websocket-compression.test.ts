/**
 * Every socket of the hub refuses permessage-deflate, although `ws` (like browsers and MQTT.js)
 * offers it on every connection: device traffic is small, and compression cost a zlib context
 * pair per socket and a deflate per frame (MQTT.js sends each field as its own frame). Each
 * socket still works uncompressed.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { adminToken, createDevice, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";
import { RawMqtt } from "./raw-mqtt";
import { CoapWsClient } from "../clients/coap-ws-client";

const wsBase = () => hubUrl().replace(/^http/, "ws");

describe("WebSocket compression", () => {
  it("is refused on MQTT (both paths), and the session works", async () => {
    const token = await createDevice("wsc-mqtt");
    for (const path of ["/mqtt", "/mqtt/wsc-mqtt"]) {
      const c = await RawMqtt.open(path, 5);
      expect(c.ws.extensions, path).toBe("");
      expect((await c.connect("wsc-mqtt", token)).reasonCode, path).toBe(0);
      c.close();
    }
  });

  it("is refused on the JSON device socket and the live events stream, and both work", async () => {
    const token = await createDevice("wsc-json");
    const events = new WebSocket(`${wsBase()}/v1/devices/wsc-json/events`, { headers: { authorization: `Bearer ${adminToken()}` } });
    const seen = new Promise<string>((resolve) => events.on("message", (d) => String(d).includes('"volts"') && resolve(String(d))));
    await new Promise((resolve, reject) => {
      events.once("open", resolve);
      events.once("error", reject);
    });
    expect(events.extensions).toBe("");
    const dev = await JsonSocket.open(token);
    expect(dev.ws.extensions).toBe("");
    dev.send({ type: "telemetry", data: { volts: 3.3 } });
    expect(await seen).toContain("3.3");
    await dev.close();
    events.close();
  });

  it("is refused on CoAP over WebSockets, and the CSM exchange works", async () => {
    const client = await CoapWsClient.connect(`${wsBase()}/.well-known/coap`);
    expect(client.ws.extensions).toBe("");
    await client.close();
  });
});
