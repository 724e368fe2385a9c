/**
 * The gateway when its hub is not there: CoAP requests are answered 5.02 Bad Gateway, MQTT
 * clients see their connection closed, and the log says why (once per CoAP peer).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/hub.mjs";
import { eventually } from "./client";
import type { GatewayProcess } from "./gateway-process";
import { run, startGateway } from "./gateway-process";

let gw: GatewayProcess;

beforeAll(async () => {
  gw = await startGateway(`http://127.0.0.1:${await freePort()}`);
});

afterAll(async () => {
  if (gw) await gw.stop();
});

describe("a gateway whose hub is unreachable", () => {
  it("warns at start", async () => {
    await eventually(async () => gw.lines.find((l) => l.event === "gateway.hub" && l.level === "warn"));
  });

  it("answers CoAP requests 5.02 and logs the failure once per peer", async () => {
    const r = await run("coap-client-notls", ["-B", "20", "-m", "get", `coap://127.0.0.1:${gw.coapPort}/shadow?auth=x`]);
    expect(r.stderr).toMatch(/^5\.02 \{"code":502,"message":"hub unreachable/); // the hub's error shape (it was plain text)
    const warning = await eventually(async () => gw.lines.find((l) => l.event === "coap.hub"));
    expect(warning.reason).toMatch(/^hub unreachable: /);
  });

  it("closes MQTT connections it cannot carry, and counts them as refused", async () => {
    const r = await run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(gw.mqttPort), "-i", "d", "-u", "d", "-P", "p", "-t", "t", "-m", "m"]);
    expect(r.code).not.toBe(0);
    expect(await gw.stop()).toBe(0);
    const stats = gw.lines.find((l) => l.event === "gateway.stats");
    expect(stats).toMatchObject({ "mqtt.refused": 1, "coap.hubFailures": 1 });
  });
});
