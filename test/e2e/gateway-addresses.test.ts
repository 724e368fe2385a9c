/**
 * Devices behind one gateway, each from its own address (127.0.0.x: Linux answers all of 127/8 on
 * loopback). The hub counts failed sign-ins per address, and every device behind a gateway used
 * to share the gateway's: one device retrying a bad token locked all its neighbours out. A gateway
 * started with the hub's GATEWAY_KEY now forwards each device's address (`Forwarded: for=`), so
 * only the failing device's address runs out — over TCP MQTT (a raw client bound to its address)
 * and UDP CoAP (libcoap's coap-client-notls `-a`). A wrong key is refused; a request that only
 * claims to be forwarded, without the key, is not believed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect as tcpConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";
import { apiJson, createDevice, eventually } from "./client";
import { run, startGateway, type GatewayProcess } from "./gateway-process";
import { applyMigrations, freePort, startWrangler } from "../../scripts/hub.mjs";
import { MqttStream, encode, type MqttPacket } from "../../protocols/mqtt";

const ADMIN = "gateway-addresses-admin-gateway-addresses";
const KEY = "gateway-addresses-key-0123456789abcdef";
let dir = "";
let hub: Awaited<ReturnType<typeof startWrangler>>;
let keyed: GatewayProcess;
const opts = () => ({ base: hub.url, token: ADMIN });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "umbra-gateway-addresses-"));
  const envFile = join(dir, "vars.env");
  writeFileSync(envFile, `ADMIN_TOKEN="${ADMIN}"\nGATEWAY_KEY="${KEY}"\n`);
  applyMigrations(join(dir, "state"));
  // Three failures per address, then none for a long while.
  hub = await startWrangler({ port: await freePort(), persistTo: join(dir, "state"), envFile, vars: { AUTH_FAILURE_RATE: "0.001", AUTH_FAILURE_BURST: "3" } });
  keyed = await startGateway(hub.url, ["--gateway-key", KEY]);
}, 120_000);

afterAll(async () => {
  await keyed?.stop();
  await hub?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** One MQTT 3.1.1 CONNECT over TCP from `localAddress` through the gateway; the CONNACK's code, or "closed". */
function tcpConnack(port: number, localAddress: string, clientId: string, password: string): Promise<number | "closed"> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: "127.0.0.1", port, localAddress });
    const stream = new MqttStream({ role: "client", protocolVersion: 4 });
    socket.on("connect", () => {
      const connect = { type: "connect", protocolId: "MQTT", protocolVersion: 4, clientId, clean: true, keepAlive: 0, username: clientId, password: new TextEncoder().encode(password) } as MqttPacket;
      socket.write(encode(connect, 4));
    });
    socket.on("data", (d: Buffer) => {
      const ack = stream.push(new Uint8Array(d)).find((p) => p.type === "connack");
      if (ack?.type === "connack") {
        resolve(ack.reasonCode);
        socket.end();
      }
    });
    socket.on("close", () => resolve("closed"));
    socket.on("error", () => resolve("closed"));
  });
}

describe("devices behind a gateway that holds the hub's GATEWAY_KEY", () => {
  it("over TCP MQTT: one device's failed sign-ins use up only its own address, and presence shows each device's address", async () => {
    const good = await createDevice("gwa-good", hub.url, ADMIN);
    await createDevice("gwa-bad", hub.url, ADMIN);
    const codes: (number | "closed")[] = [];
    for (let i = 0; i < 4; i++) codes.push(await tcpConnack(keyed.mqttPort, "127.0.0.2", "gwa-bad", "wrong-token"));
    // 3.1.1: 0x05 not authorized for a wrong token; 0x03 server unavailable once the address is out of tries.
    expect(codes).toEqual([5, 5, 5, 3]);
    expect(await tcpConnack(keyed.mqttPort, "127.0.0.3", "gwa-good", good)).toBe(0);
    const seen = await eventually(async () => {
      const d = await apiJson<{ status: { remote_address: string | null } }>("GET", "/v1/devices/gwa-good", 200, opts());
      return d.status.remote_address;
    });
    expect(seen).toBe("127.0.0.3");
    // The failing address stays out: a right token from it is refused too.
    expect(await tcpConnack(keyed.mqttPort, "127.0.0.2", "gwa-good", good)).toBe(3);
  });

  it("over UDP CoAP (coap-client-notls): a peer out of tries gets 4.29 (after 4.01s) while another peer's device still posts telemetry", async () => {
    const token = await createDevice("gwa-coap", hub.url, ADMIN);
    const uri = (t: string) => `coap://127.0.0.1:${keyed.coapPort}/shadow?auth=${t}`;
    const codes: string[] = [];
    for (let i = 0; i < 4; i++) {
      const bad = await run("coap-client-notls", ["-B", "20", "-a", "127.0.0.4", "-m", "get", uri("wrong-token")]);
      codes.push(/4\.(01|29)/.exec(bad.stdout + bad.stderr)?.[0] ?? bad.stdout + bad.stderr);
    }
    // AUTH_FAILURE_BURST 3: three wrong tokens, then the address is locked out (it was 4.01 again, as for a revoked token).
    expect(codes).toEqual(["4.01", "4.01", "4.01", "4.29"]);
    const ok = await run("coap-client-notls", ["-B", "20", "-a", "127.0.0.5", "-m", "post", "-t", "50", "-e", '{"data":{"t":7}}', `coap://127.0.0.1:${keyed.coapPort}/telemetry?auth=${token}`]);
    expect(ok.stdout + ok.stderr).not.toMatch(/[45]\.\d\d/);
    const rows = await apiJson<{ items: { data: Record<string, unknown> }[] }>("GET", "/v1/devices/gwa-coap/telemetry", 200, opts());
    expect(rows.items.map((r) => r.data)).toEqual([{ t: 7 }]);
  });

  it("refuses a wrong gateway key (401) and does not believe Forwarded without the key", async () => {
    const token = await createDevice("gwa-direct", hub.url, ADMIN);
    const upgrade = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(`${hub.url.replace("http", "ws")}/mqtt`, "mqtt", { headers });
        ws.once("open", () => {
          ws.close();
          resolve(101);
        });
        ws.once("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        ws.once("error", () => undefined);
      });
    expect(await upgrade({ "umbra-gateway-key": "not-the-key", forwarded: "for=198.51.100.7" })).toBe(401);
    expect(await upgrade({ "umbra-gateway-key": KEY })).toBe(400);
    // Without the key a Forwarded header is just a header: the device shows the connection's own address.
    const ws = new WebSocket(`${hub.url.replace("http", "ws")}/mqtt`, "mqtt", { headers: { forwarded: "for=198.51.100.7" } });
    const stream = new MqttStream({ role: "client", protocolVersion: 4 });
    const acked = new Promise<number>((resolve) => ws.on("message", (d: Buffer) => {
      const ack = stream.push(new Uint8Array(d)).find((p) => p.type === "connack");
      if (ack?.type === "connack") resolve(ack.reasonCode);
    }));
    await new Promise((r) => ws.once("open", r));
    ws.send(encode({ type: "connect", protocolId: "MQTT", protocolVersion: 4, clientId: "gwa-direct", clean: true, keepAlive: 0, username: "gwa-direct", password: new TextEncoder().encode(token) } as MqttPacket, 4));
    expect(await acked).toBe(0);
    const d = await apiJson<{ status: { remote_address: string | null } }>("GET", "/v1/devices/gwa-direct", 200, opts());
    expect(d.status.remote_address).not.toBe("198.51.100.7");
    ws.close();
  });
});
