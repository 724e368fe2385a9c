/**
 * MQTT over TCP through `umbra gateway`, with Debian's mosquitto clients (which speak TCP only):
 * device commands, telemetry, the AWS shadow topics and a refused password, all answered by the
 * hub itself through the byte-for-byte relay.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, apiJson, createDevice, eventually, hubUrl } from "./client";
import type { GatewayProcess } from "./gateway-process";
import { run, runPeer, startGateway } from "./gateway-process";

let gw: GatewayProcess;
const broker = () => ["-h", "127.0.0.1", "-p", String(gw.mqttPort)];
const as = (id: string, password: string) => ["-i", id, "-u", id, "-P", password];

beforeAll(async () => {
  gw = await startGateway(hubUrl());
});

afterAll(async () => {
  if (gw) await gw.stop();
});

describe("TCP MQTT through the gateway (mosquitto clients)", () => {
  it("delivers a command an app publishes (mosquitto_pub) to the device subscribed with mosquitto_sub", async () => {
    const token = await createDevice("gwm-cmd");
    // stdbuf: mosquitto_sub's debug lines are stdio-buffered on a pipe
    const sub = runPeer("stdbuf", ["-oL", "mosquitto_sub", "-d", ...broker(), ...as("gwm-cmd", token), "-t", "devices/gwm-cmd/commands/#", "-q", "1", "-C", "1", "-v", "-W", "30"]);
    await eventually(async () => sub.output().includes("received SUBACK"), 20_000);
    const pub = await run("mosquitto_pub", [...broker(), "-i", "gwm-app", "-u", "app", "-P", adminToken(), "-t", "devices/gwm-cmd/commands/reboot", "-m", '{"delay":1}', "-q", "1"]);
    expect(pub.code, pub.stderr).toBe(0);
    const got = await sub.done;
    expect(got.code, got.stderr).toBe(0);
    // Through the device's command queue: a 3.1.1 client gets the command id as the last topic level.
    expect(got.stdout).toMatch(/devices\/gwm-cmd\/commands\/reboot\/cmd_[0-9a-f]+ \{"delay":1\}/);
  });

  it("stores telemetry published with QoS 1", async () => {
    const token = await createDevice("gwm-tm");
    const pub = await run("mosquitto_pub", [...broker(), ...as("gwm-tm", token), "-t", "devices/gwm-tm/telemetry", "-m", '{"t":1}', "-q", "1"]);
    expect(pub.code, pub.stderr).toBe(0);
    const rows = await apiJson<{ items: { data: Record<string, unknown> }[] }>("GET", "/v1/devices/gwm-tm/telemetry", 200);
    expect(rows.items.map((r) => r.data)).toEqual([{ t: 1 }]);
  });

  it.each([
    ["mqttv5", "5.0"],
    ["mqttv311", "3.1.1"],
  ])("answers a shadow update on $aws/…/update/accepted (mosquitto_rr, MQTT %s)", async (version) => {
    const id = `gwm-shadow-${version}`;
    const token = await createDevice(id);
    const base = `$aws/things/${id}/shadow`;
    const body = JSON.stringify({ state: { reported: { color: "green" } }, clientToken: "ct-1" });
    const rr = await run("mosquitto_rr", ["-V", version, ...broker(), ...as(id, token), "-t", `${base}/update`, "-e", `${base}/update/accepted`, "-m", body, "-q", "1", "-W", "20"]);
    expect(rr.code, rr.stderr).toBe(0);
    expect(JSON.parse(rr.stdout)).toMatchObject({ state: { reported: { color: "green" } }, version: 1, clientToken: "ct-1" });
    const shadow = await apiJson<{ state: { reported: Record<string, unknown> } }>("GET", `/v1/devices/${id}/shadow`, 200);
    expect(shadow.state.reported).toEqual({ color: "green" });
  });

  it.each([
    ["mqttv311", /not authori[sz]ed/i],
    ["mqttv5", /bad user name or password/i],
  ])("refuses a wrong password with the hub's own CONNACK (%s)", async (version, message) => {
    await createDevice(`gwm-auth-${version}`);
    const pub = await run("mosquitto_pub", ["-V", version, ...broker(), ...as(`gwm-auth-${version}`, "wrong"), "-t", "devices/x/telemetry", "-m", "{}", "-q", "1"]);
    expect(pub.code).not.toBe(0);
    expect(pub.stderr).toMatch(message);
  });

  it("logs each session's start and end with the client id, and prints its counters on SIGINT", async () => {
    const count = (event: string) => gw.lines.filter((l) => l.event === event).length;
    // the last client has exited; its session ends when the gateway has seen its socket close
    await eventually(async () => count("mqtt.close") === count("mqtt.open"));
    const closes = gw.lines.filter((l) => l.event === "mqtt.close");
    expect(closes.find((l) => l.client === "gwm-tm")).toMatchObject({ peer: expect.stringMatching(/^127\.0\.0\.1:\d+$/), reason: "device closed" });
    const code = await gw.stop();
    expect(code).toBe(0);
    const stats = gw.lines.find((l) => l.event === "gateway.stats");
    expect(stats?.["mqtt.sessions"]).toBeGreaterThanOrEqual(6);
    expect(stats?.["mqtt.active"]).toBe(0);
    expect(stats?.["mqtt.refused"]).toBe(0);
    expect(gw.lines.at(-1)).toMatchObject({ event: "gateway.stopped", signal: "SIGINT" });
  });
});
