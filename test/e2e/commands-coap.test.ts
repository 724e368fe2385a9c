/**
 * Commands over CoAP (RFC 7641 observations of `/commands`): what a connection gets as its
 * observers come and go, and a command too large for the client. The rest: commands.test.ts.
 */
import { describe, expect, it } from "vitest";
import { api, apiJson, createDevice, eventually, hubUrl } from "./client";
import { CoapWsClient, type WireMessage } from "../clients/coap-ws-client";

type Command = { id: string; status: string; result: unknown; protocol: string | null; name: string };
const coapUrl = () => `${hubUrl().replace("http", "ws")}/.well-known/coap`;

/** A new device and a CoAP connection bound to it (its first request carries `auth=`). */
async function connected(deviceId: string, csm?: { maxMessageSize: number; blockWise: boolean }): Promise<CoapWsClient> {
  const token = await createDevice(deviceId);
  const coap = await CoapWsClient.connect(coapUrl(), csm);
  await coap.request({ method: "GET", path: "shadow", query: [`auth=${token}`] });
  return coap;
}

/** A command's status as the REST API reads it. */
async function statusOf(device: string, command: { id: string }): Promise<string> {
  return (await apiJson<Command>("GET", `/v1/devices/${device}/commands/${command.id}`, 200)).status;
}

function send(device: string, body: Record<string, unknown>) {
  return apiJson<Command>("POST", `/v1/devices/${device}/commands`, 201, { body });
}

describe("commands over CoAP", () => {
  it("reaches a CoAP connection once, however many tokens observe /commands on it or re-register (RFC 7641 §3.3.1)", async () => {
    const coap = await connected("cmd-reobserve");
    const pending = await send("cmd-reobserve", { name: "pending" }); // before anything observes
    const notes: string[] = [];
    const onNote = (who: string) => (m: { payload: Uint8Array }) => notes.push(`${who}:${(JSON.parse(Buffer.from(m.payload).toString()) as { name: string }).name}`);
    const c0 = Uint8Array.of(0xc0);
    await coap.observe("commands", onNote("c0"), { token: c0 });
    await eventually(async () => notes.length >= 1);
    await coap.observe("commands", onNote("c1"), { token: Uint8Array.of(0xc1) });
    await coap.observe("commands", onNote("c0"), { token: c0 }); // a client re-registers from time to time
    await new Promise((r) => setTimeout(r, 500));
    // Before: the pending command went out again to every observer at each registration (c0 three times, c1 twice).
    expect(notes).toEqual(["c0:pending"]);
    // A new command goes to every observer of the connection, once each.
    await send("cmd-reobserve", { name: "next" });
    await eventually(async () => notes.length >= 3);
    await new Promise((r) => setTimeout(r, 300));
    expect(notes.slice(1).sort()).toEqual(["c0:next", "c1:next"]);
    expect(await statusOf("cmd-reobserve", pending)).toBe("delivered");
    await coap.close();
  });

  it("waits for a CoAP connection that cancelled its observation, and reaches it when it observes again; a method finds it offline meanwhile", async () => {
    const coap = await connected("cmd-unobserve");
    const notes: string[] = [];
    const onNote = (m: { payload: Uint8Array }) => notes.push((JSON.parse(Buffer.from(m.payload).toString()) as { name: string }).name);
    const cmds = await coap.observe("commands", onNote);
    const methods = await coap.observe("methods", () => undefined);
    await cmds.cancel();
    await methods.cancel();
    await new Promise((r) => setTimeout(r, 300));
    // Before: queued while nobody observed, it went to the connection, was marked delivered, and was never seen again.
    const c1 = await send("cmd-unobserve", { name: "c1" });
    await new Promise((r) => setTimeout(r, 300));
    expect(await statusOf("cmd-unobserve", c1)).toBe("queued");
    // Before: a method call waited its whole timeout (504) for a connection that took no methods.
    expect((await api("POST", "/v1/devices/cmd-unobserve/methods/blink", { body: { timeoutSeconds: 3 } })).status).toBe(404);
    await coap.observe("commands", onNote, { token: Uint8Array.of(0xc3) });
    await eventually(async () => notes.includes("c1"));
    expect(notes).toEqual(["c1"]);
    expect(await statusOf("cmd-unobserve", c1)).toBe("delivered");
    await coap.close();
  });

  it("too large for a CoAP client without block-wise: rejected with the reason, and later commands still arrive", async () => {
    const coap = await connected("cmd-toobig", { maxMessageSize: 1152, blockWise: false });
    const notes: string[] = [];
    await coap.observe("commands", (m) => notes.push((JSON.parse(Buffer.from(m.payload).toString()) as { name: string }).name));
    const big = await send("cmd-toobig", { name: "firmware", payload: "x".repeat(3000) });
    const small = await send("cmd-toobig", { name: "blink" });
    await eventually(async () => notes.includes("blink"));
    // Before: the big one ended the observation with 5.00, and went first again at each re-registration: nothing else arrived.
    const done = await eventually(async () => {
      const c = await apiJson<Command & { result?: { error?: string } }>("GET", `/v1/devices/cmd-toobig/commands/${big.id}`, 200);
      return c.status === "rejected" ? c : null;
    });
    expect(done.result?.error).toMatch(/Max-Message-Size 1152/);
    expect(notes).toEqual(["blink"]);
    expect(await statusOf("cmd-toobig", small)).toBe("delivered");
    await coap.close();
  });

  it("larger than a block, arrive one after the other, each whole, however close together they are sent (RFC 7959 §2.4)", async () => {
    const coap = await connected("cmd-blocks", { maxMessageSize: 1152, blockWise: true });
    const firsts: WireMessage[] = [];
    await coap.observe("commands", (m) => firsts.push(m));
    const sent = await Promise.all(["a", "b", "c"].map((k) => send("cmd-blocks", { name: k, payload: k.repeat(2500) })));
    const got: { name: string; payload: string }[] = [];
    // As a client does: each notification's block 0, then the rest with GET Block2 NUM+1.
    while (got.length < 3) {
      const first = await eventually(async () => firsts.shift());
      const { payload } = await coap.fetchRest(first, { method: "GET", path: "commands" });
      got.push(JSON.parse(Buffer.from(payload).toString()) as { name: string; payload: string });
    }
    // Before: a later command replaced the one being fetched, and one command was pieced together from two.
    expect(got.map((c) => [c.name, c.payload]).sort()).toEqual(sent.map((c) => [c.name, c.name.repeat(2500)]).sort());
    await coap.close();
  });
});

