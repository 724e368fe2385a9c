/**
 * The TCP ↔ WebSocket relay against a local WebSocket server standing in for the hub: bytes
 * pass unchanged and in order, each side pauses the other when it stops reading, and a close
 * on one side closes the other.
 */
import { once } from "node:events";
import { connect, type Socket } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import WebSocket, { WebSocketServer } from "ws";
import type { Logger } from "../log";
import { newCounters } from "../stats";
import type { Listener } from "../listener";
import { startMqttBridge } from "./bridge";

const quiet: Logger = { info: () => {}, warn: () => {} };
const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup(highWaterMark = 256 * 1024) {
  const hub = new WebSocketServer({ port: 0, host: "127.0.0.1", handleProtocols: (p) => (p.has("mqtt") ? "mqtt" : false) });
  await once(hub, "listening");
  const address = hub.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  const counters = newCounters().mqtt;
  const bridge: Listener = await startMqttBridge({ host: "127.0.0.1", port: 0, hubUrl: `ws://127.0.0.1:${port}/mqtt`, log: quiet, counters, highWaterMark });
  const accepted = once(hub, "connection") as Promise<[WebSocket]>;
  const tcp = connect(bridge.port, "127.0.0.1");
  cleanups.push(
    () => tcp.destroy(),
    () => bridge.close(),
    () => new Promise((r) => hub.close(r)),
  );
  await once(tcp, "connect");
  const [ws] = await accepted;
  return { tcp, ws, counters };
}

/** Polls `read` until it stops changing: how far a flow got before backpressure stopped it. */
async function settled(read: () => number): Promise<number> {
  let last = -1;
  let same = 0;
  while (same < 6) {
    await new Promise((r) => setTimeout(r, 50));
    const v = read();
    same = v === last ? same + 1 : 0;
    last = v;
  }
  return last;
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 7 + (i >> 8)) & 0xff;
  return out;
}

function writeAll(tcp: Socket, data: Uint8Array, chunk = 64 * 1024): void {
  for (let at = 0; at < data.length; at += chunk) tcp.write(data.subarray(at, at + chunk));
}

describe("MQTT relay", () => {
  it("carries device bytes unchanged, and stops reading TCP while the hub does not read", async () => {
    const { tcp, ws, counters } = await setup();
    ws.pause(); // the hub stops reading its socket
    const total = 16 * 1024 * 1024;
    const data = pattern(total);
    writeAll(tcp, data);
    const before = await settled(() => counters.bytesUp);
    expect(before).toBeLessThan(total / 2);

    const received: Buffer[] = [];
    let got = 0;
    ws.on("message", (m: Buffer) => {
      received.push(m);
      got += m.length;
    });
    ws.resume();
    while (got < total) await new Promise((r) => setTimeout(r, 20));
    expect(Buffer.compare(Buffer.concat(received), Buffer.from(data))).toBe(0);
    expect(counters.bytesUp).toBe(total);
  });

  it("carries hub bytes unchanged, and stops reading the WebSocket while the device does not read", async () => {
    const { tcp, ws, counters } = await setup();
    tcp.pause(); // the device stops reading
    const total = 16 * 1024 * 1024;
    const data = pattern(total);
    for (let at = 0; at < total; at += 64 * 1024) ws.send(data.subarray(at, at + 64 * 1024));
    const before = await settled(() => counters.bytesDown);
    expect(before).toBeLessThan(total / 2);

    const received: Buffer[] = [];
    let got = 0;
    tcp.on("data", (m: Buffer) => {
      received.push(m);
      got += m.length;
    });
    tcp.resume();
    while (got < total) await new Promise((r) => setTimeout(r, 20));
    expect(Buffer.compare(Buffer.concat(received), Buffer.from(data))).toBe(0);
  });

  it("closes the hub's WebSocket with 1000 when the device closes TCP", async () => {
    const { tcp, ws, counters } = await setup();
    const closed = once(ws, "close") as Promise<[number, Buffer]>;
    tcp.end();
    const [code] = await closed;
    expect(code).toBe(1000);
    while (counters.active > 0) await new Promise((r) => setTimeout(r, 10));
  });

  it("closes TCP after delivering what the hub sent before it closed", async () => {
    const { tcp, ws } = await setup();
    const received: Buffer[] = [];
    tcp.on("data", (m: Buffer) => received.push(m));
    ws.send(Uint8Array.of(0x20, 0x02, 0x00, 0x05)); // CONNACK "not authorized", as the hub refuses a device
    ws.close(1000, "refused");
    await once(tcp, "close");
    expect(Buffer.concat(received)).toEqual(Buffer.from([0x20, 0x02, 0x00, 0x05]));
  });
});
