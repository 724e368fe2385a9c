/**
 * Direct methods end to end: answered over JSON, MQTT 5 and 3.1.1; 404 when the device is
 * offline; 504 on timeout, or as soon as the connections that took the call are gone.
 */
import { describe, expect, it } from "vitest";
import { api, apiJson, createDevice } from "./client";
import { JsonSocket } from "./json-socket";
import { connectMqtt } from "./mqtt-client";

describe("direct methods", () => {
  it("return the device's answer over JSON, MQTT 5 and MQTT 3.1.1; 404 offline; 504 on timeout", async () => {
    const [tJson, t5, t4] = await Promise.all(["mth-json", "mth-v5", "mth-v4"].map((id) => createDevice(id)));
    const json = await JsonSocket.open(tJson!);
    json.ws.on("message", (d) => {
      const m = JSON.parse(String(d)) as { type: string; id: string; payload: { n: number } };
      if (m.type === "method") json.send({ type: "method.response", id: m.id, status: 200, payload: { doubled: m.payload.n * 2 } });
    });
    const v5 = await connectMqtt("/mqtt/mth-v5", { clientId: "mth-v5", password: t5, protocolVersion: 5 });
    v5.on("message", (_topic, payload, packet) => {
      const n = (JSON.parse(payload.toString()) as { n: number }).n;
      v5.publish(packet.properties!.responseTopic!, JSON.stringify({ status: 201, payload: { n } }), { qos: 0, properties: { correlationData: packet.properties!.correlationData } });
    });
    await v5.subscribeAsync("devices/mth-v5/methods/#", { qos: 0 });
    const v4 = await connectMqtt("/mqtt", { clientId: "mth-v4", password: t4, protocolVersion: 4 });
    v4.on("message", (topic) => v4.publish(`devices/mth-v4/methods/${topic.split("/").at(-1)}/response`, JSON.stringify({ status: 200, payload: "ok" })));
    await v4.subscribeAsync("devices/mth-v4/methods/#", { qos: 0 });

    const call = (id: string, body: Record<string, unknown>, status = 200) => apiJson<{ status: number; payload: unknown }>("POST", `/v1/devices/${id}/methods/double`, status, { body });
    expect(await call("mth-json", { payload: { n: 21 } })).toEqual({ status: 200, payload: { doubled: 42 } });
    expect(await call("mth-v5", { payload: { n: 7 } })).toEqual({ status: 201, payload: { n: 7 } });
    expect(await call("mth-v4", { payload: { n: 1 } })).toEqual({ status: 200, payload: "ok" });

    await createDevice("mth-offline");
    const offline = await api("POST", "/v1/devices/mth-offline/methods/double", { body: {} });
    expect(offline.status).toBe(404);
    expect(((await offline.json()) as { type: string }).type).toMatch(/device-offline$/);

    const silent = await JsonSocket.open(await createDevice("mth-silent"));
    const started = Date.now();
    const timeout = await api("POST", "/v1/devices/mth-silent/methods/slow", { body: { timeoutSeconds: 1 } });
    expect(timeout.status).toBe(504);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await Promise.all([json.close(), silent.close(), v5.endAsync(), v4.endAsync()]);
  });

  it("refuse an answer whose status is not an HTTP status (100 to 599) on MQTT as on JSON: PUBACK 0x99, and the caller is not given it", async () => {
    const token = await createDevice("mth-bad-status");
    const dev = await connectMqtt("/mqtt/mth-bad-status", { clientId: "mth-bad-status", password: token, protocolVersion: 5 });
    const refusals: unknown[] = [];
    dev.on("message", (_topic, _payload, packet) => {
      dev.publishAsync(packet.properties!.responseTopic!, JSON.stringify({ status: 99999 }), { qos: 1, properties: { correlationData: packet.properties!.correlationData } }).catch((e: unknown) => refusals.push(e));
    });
    await dev.subscribeAsync("devices/mth-bad-status/methods/#", { qos: 0 });
    // Before: 200 {"status":99999,"payload":null}.
    expect((await api("POST", "/v1/devices/mth-bad-status/methods/x", { body: { timeoutSeconds: 1 } })).status).toBe(504);
    expect(String(refusals[0])).toMatch(/153|0x99|format/i);
    await dev.endAsync();
  });

  it("end with 504 as soon as every connection that took the call is gone, not after the timeout (JSON, MQTT on both paths)", async () => {
    const [tJson, tFast, tRelay, tBoth] = await Promise.all(["mth-gone-json", "mth-gone-fast", "mth-gone-relay", "mth-gone-both"].map((id) => createDevice(id)));
    const detail = async (res: Response) => {
      expect(res.status).toBe(504);
      return ((await res.json()) as { detail: string }).detail;
    };
    const call = (id: string) => api("POST", `/v1/devices/${id}/methods/reboot`, { body: { timeoutSeconds: 60 } });

    const json = await JsonSocket.open(tJson!);
    json.ws.on("message", (d) => {
      if ((JSON.parse(String(d)) as { type: string }).type === "method") json.ws.terminate();
    });
    expect(await detail(await call("mth-gone-json"))).toMatch(/disconnected before it answered "reboot"/);

    for (const [id, path, token] of [["mth-gone-fast", "/mqtt/mth-gone-fast", tFast], ["mth-gone-relay", "/mqtt", tRelay]] as const) {
      const dev = await connectMqtt(path, { clientId: id, password: token, protocolVersion: 5 });
      await dev.subscribeAsync(`devices/${id}/methods/#`, { qos: 0 });
      dev.on("message", () => dev.stream.destroy());
      expect(await detail(await call(id))).toMatch(/disconnected before/);
    }

    // Two connections took it: one leaving is not the end; the other answers.
    const a = await JsonSocket.open(tBoth!);
    const b = await JsonSocket.open(tBoth!);
    a.ws.on("message", (d) => {
      if ((JSON.parse(String(d)) as { type: string }).type === "method") a.ws.terminate();
    });
    b.ws.on("message", (d) => {
      const m = JSON.parse(String(d)) as { type: string; id: string };
      if (m.type === "method") setTimeout(() => b.send({ type: "method.response", id: m.id, status: 200, payload: "done" }), 300);
    });
    expect(await apiJson("POST", "/v1/devices/mth-gone-both/methods/reboot", 200, { body: { timeoutSeconds: 60 } })).toEqual({ status: 200, payload: "done" });
    await b.close();
  });
});
