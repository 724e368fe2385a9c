/**
 * Devices that keep several JSON messages unanswered do not starve the rest of the hub. workerd
 * reads its sockets only when no other event is ready, and such a device's next frame is always
 * buffered already: answering it straight from the frame's event made a chain that never let
 * the runtime look at other sockets. Ten of them kept new connections and every other client
 * waiting for tens of seconds (the flood here caps itself, so before the fix the probes
 * finished only after it). Nothing here is timed: the probes must finish while the flood is on,
 * and every flooding device must keep being answered.
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { api, createDevice } from "./client";
import { JsonSocket } from "./json-socket";
import { connectMqtt } from "./mqtt-client";

const DEVICES = 10;
const IN_FLIGHT = 10;
/** The flood stops by itself after this many answers, starved probes or not. */
const CAP = 40_000;

/** One device keeping `IN_FLIGHT` telemetry messages unanswered: the next goes as each answer (ack or `busy`) comes. */
class Flooder {
  answered = 0;
  private next = 1;
  stopped = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly total: () => number,
    onAnswer: () => void,
  ) {
    ws.on("message", (data) => {
      const m = JSON.parse(String(data)) as { id?: unknown };
      if (m.id === undefined) return;
      this.answered++;
      onAnswer();
      if (!this.stopped && this.total() < CAP) this.send();
    });
    for (let i = 0; i < IN_FLIGHT; i++) this.send();
  }

  private send(): void {
    this.ws.send(JSON.stringify({ type: "telemetry", id: this.next, data: { n: this.next++ } }));
  }

  stop(): void {
    this.stopped = true;
    this.ws.terminate();
  }
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 10));
}

describe("a flood of pipelined JSON messages", () => {
  it("leaves the hub serving other clients, and every flooding device answered", async () => {
    const ids = Array.from({ length: DEVICES }, (_, i) => `flood-json-${i}`);
    const tokens = await Promise.all(ids.map((id) => createDevice(id)));
    const probeToken = await createDevice("flood-json-probe");
    const sockets = await Promise.all(tokens.map((t) => JsonSocket.open(t)));
    let total = 0;
    const flooders = sockets.map((s) => {
      s.ws.removeAllListeners("message");
      return new Flooder(s.ws, () => total, () => total++);
    });
    try {
      await until(() => total >= 500);

      // While it floods: a REST call, a new JSON device's ping, a new MQTT connection.
      expect((await api("GET", "/v1/devices/flood-json-probe")).status).toBe(200);
      const probe = await JsonSocket.open(probeToken);
      probe.send({ type: "ping", id: "p" });
      expect((await probe.next((m) => m.type === "pong", 60_000)).id).toBe("p");
      probe.ws.close();
      const mqtt = await connectMqtt("/mqtt/flood-json-probe", { clientId: "flood-json-probe", password: probeToken, protocolVersion: 4 });
      await mqtt.endAsync();
      const probesDoneAt = total;
      expect(probesDoneAt).toBeLessThan(CAP);

      // And none of the flooding devices is left waiting.
      const before = flooders.map((f) => f.answered);
      await until(() => total >= Math.min(CAP, probesDoneAt + 2_000));
      expect(total).toBeLessThan(CAP);
      expect(flooders.map((f, i) => f.answered - before[i]!).filter((n) => n === 0)).toEqual([]);
    } finally {
      for (const f of flooders) f.stop();
    }
  }, 120_000);
});
