/**
 * A direct method taken by one connection and answered on a newer one of the same device (a
 * CoAP device behind the gateway answering from a new UDP port gets a new hub connection, which
 * takes over): the call waits for that answer; it ends with 504 at once only when the device
 * has no connection left.
 */
import { describe, expect, it } from "vitest";
import { api, apiJson, createDevice, hubUrl } from "./client";
import { CoapWsClient, codeText } from "../clients/coap-ws-client";

const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;

describe("a direct method answered on a connection that took over", () => {
  it("gets the answer (before: 504 'disconnected' as the taker was replaced, and the answer 4.04)", async () => {
    const token = await createDevice("mth-takeover");
    const first = await CoapWsClient.connect(coapUrl());
    await first.request({ method: "GET", path: "shadow", query: [`auth=${token}`] });
    const calls: string[] = [];
    await first.observe("methods", (m) => calls.push((JSON.parse(Buffer.from(m.payload).toString()) as { id: string }).id));
    const answer = api("POST", "/v1/devices/mth-takeover/methods/blink", { body: { timeoutSeconds: 20 } });
    while (calls.length === 0) await new Promise((r) => setTimeout(r, 20));
    // A second connection of the device takes over the first, and answers there.
    const second = await CoapWsClient.connect(coapUrl());
    const posted = await second.request({ method: "POST", path: `methods/${calls[0]}`, query: [`auth=${token}`], contentFormat: 50, payload: JSON.stringify({ status: 200, payload: "blinked" }) });
    expect(codeText(posted.code)).toBe("2.04");
    const res = await answer;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 200, payload: "blinked" });
    await Promise.all([first.close().catch(() => undefined), second.close()]);
  });

  it("still ends with 504 at once when the device's last connection goes", async () => {
    const token = await createDevice("mth-takeover-gone");
    const first = await CoapWsClient.connect(coapUrl());
    await first.request({ method: "GET", path: "shadow", query: [`auth=${token}`] });
    let taken = false;
    await first.observe("methods", () => (taken = true));
    const answer = apiJson<{ detail: string }>("POST", "/v1/devices/mth-takeover-gone/methods/blink", 504, { body: { timeoutSeconds: 60 } });
    while (!taken) await new Promise((r) => setTimeout(r, 20));
    await first.close();
    // at once, not after the 60 s timeout (the test's own limit is shorter)
    expect((await answer).detail).toMatch(/disconnected before it answered/);
  });
});
