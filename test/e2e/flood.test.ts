/**
 * Devices that keep several messages unanswered do not starve the rest of the hub. workerd reads
 * its sockets only when no other event is ready, and such a device's next frame is always
 * buffered already: a JSON device's answers sent straight from its frame's event made a chain
 * that never let the runtime look at another socket. Ten of them kept new connections and every
 * other client waiting for tens of seconds (the flood here caps itself, so before the fix the
 * probes finished only after it). MQTT devices on both paths are held to the same. Nothing here
 * is timed: the probes must finish while the flood is on, and every flooding device must keep
 * being answered.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type WebSocket from "ws";
import { api, createDevice } from "./client";
import { JsonSocket } from "./json-socket";
import { connectMqtt } from "./mqtt-client";
import { RawMqtt } from "./raw-mqtt";
import { LocalHub } from "../../bench/lib/hub";
import { CoapWsClient, Codes, encodeMessage } from "../clients/coap-ws-client";

const DEVICES = 10;
const IN_FLIGHT = 10;
/** The flood stops by itself after this many answers, starved probes or not. */
const CAP = 40_000;

/** What the flood counts, shared by its devices. */
class Tally {
  total = 0;
  get capped(): boolean {
    return this.total >= CAP;
  }
}

/** One device keeping `IN_FLIGHT` telemetry messages unanswered: the next goes as each answer comes. */
abstract class Flooder {
  answered = 0;
  protected stopped = false;
  constructor(protected readonly tally: Tally) {}

  protected start(): void {
    for (let i = 0; i < IN_FLIGHT; i++) this.send();
  }

  protected answer(): void {
    this.answered++;
    this.tally.total++;
    if (!this.stopped && !this.tally.capped) this.send();
  }

  protected abstract send(): void;
  abstract stop(): void;
}

/** Telemetry with an `id` on the JSON WebSocket; an `ack` or `busy` answers it. */
class JsonFlooder extends Flooder {
  private next = 1;
  constructor(
    private readonly ws: WebSocket,
    tally: Tally,
  ) {
    super(tally);
    ws.removeAllListeners("message");
    ws.on("message", (data) => {
      if ((JSON.parse(String(data)) as { id?: unknown }).id !== undefined) this.answer();
    });
    this.start();
  }

  protected send(): void {
    this.ws.send(JSON.stringify({ type: "telemetry", id: this.next, data: { n: this.next++ } }));
  }

  stop(): void {
    this.stopped = true;
    this.ws.terminate();
  }
}

/** QoS 1 telemetry from MQTT.js; the PUBACK answers it. */
class MqttFlooder extends Flooder {
  private next = 1;
  constructor(
    private readonly client: Awaited<ReturnType<typeof connectMqtt>>,
    private readonly id: string,
    tally: Tally,
  ) {
    super(tally);
    this.start();
  }

  protected send(): void {
    this.client.publish(`devices/${this.id}/telemetry`, JSON.stringify({ n: this.next++ }), { qos: 1 }, () => this.answer());
  }

  stop(): void {
    this.stopped = true;
    this.client.end(true);
  }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

const protocols: { name: string; open: (id: string, token: string, tally: Tally) => Promise<Flooder> }[] = [
  { name: "JSON WebSocket", open: async (_id, token, tally) => new JsonFlooder((await JsonSocket.open(token)).ws, tally) },
  { name: "MQTT on /mqtt/<id>", open: async (id, token, tally) => new MqttFlooder(await connectMqtt(`/mqtt/${id}`, { clientId: id, password: token, protocolVersion: 4 }), id, tally) },
  { name: "MQTT on /mqtt", open: async (id, token, tally) => new MqttFlooder(await connectMqtt("/mqtt", { clientId: id, password: token, protocolVersion: 4 }), id, tally) },
];

describe.each(protocols)("a flood of pipelined messages over $name", ({ name, open }) => {
  it("leaves the hub serving other clients, and every flooding device answered", async () => {
    const prefix = `flood-${name.replace(/[^a-z]/gi, "").toLowerCase()}`;
    const ids = Array.from({ length: DEVICES }, (_, i) => `${prefix}-${i}`);
    const tokens = await Promise.all(ids.map((id) => createDevice(id)));
    const probeId = `${prefix}-probe`;
    const probeToken = await createDevice(probeId);
    const tally = new Tally();
    const flooders = await Promise.all(ids.map((id, i) => open(id, tokens[i]!, tally)));
    try {
      await until(() => tally.total >= 500);

      // While it floods: a REST call, a new JSON device's ping, a new MQTT connection.
      expect((await api("GET", `/v1/devices/${probeId}`)).status).toBe(200);
      const probe = await JsonSocket.open(probeToken);
      probe.send({ type: "ping", id: "p" });
      expect((await probe.next((m) => m.type === "pong", 60_000)).id).toBe("p");
      probe.ws.close();
      const mqtt = await connectMqtt(`/mqtt/${probeId}`, { clientId: probeId, password: probeToken, protocolVersion: 4 });
      await mqtt.endAsync();
      const probesDoneAt = tally.total;
      expect(probesDoneAt).toBeLessThan(CAP);

      // And none of the flooding devices is left waiting.
      const before = flooders.map((f) => f.answered);
      await until(() => tally.total >= Math.min(CAP, probesDoneAt + 2_000));
      expect(tally.total).toBeLessThan(CAP);
      expect(flooders.map((f, i) => f.answered - before[i]!).filter((n) => n === 0)).toEqual([]);
    } finally {
      for (const f of flooders) f.stop();
    }
  }, 120_000);
});

/**
 * A client that sends without waiting for answers, faster than the hub reads, is cut off after
 * `SOCKET_FLOOD_MS` of messages back to back, even with no rate limit to stop it (rates lifted
 * here): before, one such socket kept the runtime from reading any other for as long as it went on.
 */
describe("a socket that never runs dry", () => {
  let hub: LocalHub;
  beforeAll(async () => {
    hub = LocalHub.create("umbra-flood-", { DEVICE_RATE_PER_SECOND: "1000000", DEVICE_RATE_BURST: "1000000", SOCKET_FLOOD_MS: "100" });
    await hub.start();
  }, 120_000);
  afterAll(async () => {
    await hub?.dispose();
  });

  it("JSON: is told rate_exceeded (back to back) and closed 4429", async () => {
    const token = await createDevice("flood-raw-json", hub.url, hub.adminToken);
    const s = await JsonSocket.open(token, { base: hub.url });
    for (let i = 0; i < 50_000; i++) s.send({ type: "ping" });
    await s.waitClosed(60_000);
    expect(s.closed?.code).toBe(4429);
    expect(s.received.find((m) => m.type === "error")).toMatchObject({ code: "rate_exceeded", message: expect.stringContaining("back to back") });
    // the close frame's reason names the flood, not the device's rate (which it may be well under)
    expect(String((s.ws as unknown as { _closeMessage?: Buffer })._closeMessage ?? "")).toContain("back to back");
  }, 90_000);

  it("CoAP over WebSocket: Pings back to back get Abort and close 1008", async () => {
    const c = await CoapWsClient.connect(`${hub.wsUrl}/.well-known/coap`);
    const ping = encodeMessage({ code: Codes.PING, token: new Uint8Array([1]), options: [], payload: new Uint8Array() });
    for (let i = 0; i < 50_000; i++) c.send(ping);
    expect((await c.closed).code).toBe(1008);
    const abort = c.signals.find((m) => m.code === Codes.ABORT);
    expect(new TextDecoder().decode(abort?.payload)).toMatch(/back to back/);
  }, 90_000);

  it.each([
    { path: "/mqtt/flood-raw-mqtt", version: 5 as const, id: "flood-raw-mqtt" },
    { path: "/mqtt", version: 4 as const, id: "flood-raw-relay" },
  ])("MQTT $version on $path: QoS 0 back to back ends the connection (5.0: DISCONNECT 0x96)", async ({ path, version, id }) => {
    const token = await createDevice(id, hub.url, hub.adminToken);
    const c = await RawMqtt.open(path, version, hub.url);
    expect((await c.connect(id, token)).reasonCode).toBe(0);
    const publish = c.bytes({ type: "publish", topic: `devices/${id}/telemetry`, payload: new TextEncoder().encode('{"x":1}'), qos: 0, retain: false, dup: false });
    for (let i = 0; i < 50_000; i++) c.send(publish);
    if (version === 5) expect((await c.next("disconnect", 60_000)).reasonCode).toBe(0x96);
    expect((await c.whenClosed(60_000)).code).toBe(1008);
  }, 90_000);
});
