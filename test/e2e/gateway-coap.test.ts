/**
 * CoAP over UDP through `umbra gateway`, with Debian's libcoap client (coap-client-notls 4.3.1,
 * UDP only) and raw datagrams: the shadow, telemetry, Observe while the shadow changes over
 * REST, Block2 and Block1 transfers, a refused token, and the RFC 7252 message layer.
 */
import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generate, parse, type ParsedPacket } from "coap-packet";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort } from "../../scripts/hub.mjs";
import { apiJson, createDevice, eventually, hubUrl } from "./client";
import type { GatewayProcess } from "./gateway-process";
import { run, runPeer, startGateway } from "./gateway-process";

let gw: GatewayProcess;
let dir: string;
const uri = (path: string, token: string) => `coap://127.0.0.1:${gw.coapPort}/${path}?auth=${token}`;
const coap = (args: string[]) => run("coap-client-notls", ["-B", "20", ...args]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "umbra-gw-coap-"));
  // a short idle time, so the sessions of finished clients end (and log) during the test
  gw = await startGateway(hubUrl(), ["--coap-idle", "1"]);
});

afterAll(async () => {
  if (gw) await gw.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("UDP CoAP through the gateway (libcoap's coap-client)", () => {
  it("reads the shadow, updates it, and stores telemetry", async () => {
    const token = await createDevice("gwc-1");
    await apiJson("POST", "/v1/devices/gwc-1/shadow", 200, { body: { state: { desired: { led: "off" } } } });
    const got = await coap(["-m", "get", uri("shadow", token)]);
    expect(JSON.parse(got.stdout)).toMatchObject({ state: { desired: { led: "off" } }, version: 1 });

    const updated = await coap(["-m", "post", "-t", "50", "-e", '{"state":{"reported":{"led":"off"}}}', uri("shadow", token)]);
    expect(JSON.parse(updated.stdout)).toMatchObject({ state: { reported: { led: "off" } }, version: 2 });

    const stored = await coap(["-m", "post", "-t", "50", "-e", '{"data":{"t":1}}', uri("telemetry", token)]);
    expect(stored.stderr).toBe("");
    const rows = await apiJson<{ items: { data: Record<string, unknown> }[] }>("GET", "/v1/devices/gwc-1/telemetry", 200);
    expect(rows.items.map((r) => r.data)).toEqual([{ t: 1 }]);

    const non = await coap(["-N", "-m", "get", uri("shadow", token)]);
    expect(JSON.parse(non.stdout)).toMatchObject({ version: 2 });
  });

  it("answers a wrong token with the hub's 4.01", async () => {
    await createDevice("gwc-auth");
    const r = await coap(["-m", "get", uri("shadow", "wrong")]);
    expect(r.stderr).toMatch(/^4\.01 /);
  });

  it("observes /shadow/delta (-s) and gets a notification when desired changes over REST", async () => {
    const token = await createDevice("gwc-obs");
    const obs = runPeer("coap-client-notls", ["-B", "40", "-s", "30", "-m", "get", uri("shadow/delta", token)]);
    try {
      await eventually(async () => obs.output().includes("{}"), 20_000);
      await apiJson("POST", "/v1/devices/gwc-obs/shadow", 200, { body: { state: { desired: { led: "on" } } } });
      await eventually(async () => obs.output().includes('{"led":"on"}'), 20_000);
      await apiJson("POST", "/v1/devices/gwc-obs/shadow", 200, { body: { state: { desired: { led: "blue" } } } });
      await eventually(async () => obs.output().includes('{"led":"blue"}'), 20_000);
      expect(obs.output()).toBe('{}{"led":"on"}{"led":"blue"}');
    } finally {
      obs.child.kill("SIGINT");
      await obs.done;
    }
  });

  it("observes /commands (-s, CON) and gets every queued command, not only the newest (an outside run got 2 of 5)", async () => {
    const token = await createDevice("gwc-cmds");
    const ids: string[] = [];
    for (let n = 0; n < 5; n++) ids.push((await apiJson<{ id: string }>("POST", "/v1/devices/gwc-cmds/commands", 201, { body: { name: `c${n}` } })).id);
    const obs = runPeer("coap-client-notls", ["-B", "40", "-s", "30", "-m", "get", uri("commands", token)]);
    try {
      await eventually(async () => ids.every((id) => obs.output().includes(id)), 20_000);
      for (const id of ids) expect((await apiJson<{ status: string }>("GET", `/v1/devices/gwc-cmds/commands/${id}`, 200)).status).toBe("delivered");
    } finally {
      obs.child.kill("SIGINT");
      await obs.done;
    }
  });

  it("fetches a shadow too big for one datagram in Block2 blocks, and posts one in Block1 blocks", async () => {
    const token = await createDevice("gwc-big");
    const big = "x".repeat(3000);
    await apiJson("POST", "/v1/devices/gwc-big/shadow", 200, { body: { state: { desired: { big } } } });
    const port = await freePort();
    const got = await coap(["-p", String(port), "-m", "get", uri("shadow", token)]);
    expect(JSON.parse(got.stdout)).toMatchObject({ state: { desired: { big } } });
    // each block is one request and one answer: 3000+ bytes in ≤ 1024-byte blocks take at least 4
    const session = await eventually(async () => gw.lines.find((l) => l.event === "coap.close" && l.peer === `127.0.0.1:${port}`));
    expect(session.datagramsOut).toBeGreaterThanOrEqual(4);

    const file = join(dir, "update.json");
    writeFileSync(file, JSON.stringify({ state: { reported: { blob: "y".repeat(2500) } } }));
    const posted = await coap(["-m", "post", "-t", "50", "-b", "256", "-f", file, uri("shadow", token)]);
    expect(posted.stderr).toBe("");
    const shadow = await apiJson<{ state: { reported: { blob?: string } } }>("GET", "/v1/devices/gwc-big/shadow", 200);
    expect(shadow.state.reported.blob).toHaveLength(2500);
  });
});

describe("the RFC 7252 message layer (raw datagrams)", () => {
  /** A UDP socket that sends datagrams to the gateway and collects what comes back. */
  async function udpClient() {
    const socket = createSocket("udp4");
    const inbox: Buffer[] = [];
    socket.on("message", (m) => inbox.push(m));
    await new Promise<void>((r) => socket.bind(0, "127.0.0.1", () => r()));
    return {
      send: (packet: Parameters<typeof generate>[0]) => socket.send(generate(packet), gw.coapPort, "127.0.0.1"),
      next: async (n: number): Promise<ParsedPacket> => parse(await eventually(async () => inbox[n])),
      raw: (n: number) => inbox[n],
      close: () => socket.close(),
    };
  }

  it("answers a CON request on its ACK, replays that answer to a duplicate, and a CoAP ping with RST", async () => {
    const token = await createDevice("gwc-raw");
    const c = await udpClient();
    try {
      const request = {
        confirmable: true,
        messageId: 4242,
        token: Buffer.from([1, 2, 3]),
        code: "0.01",
        options: [
          { name: "Uri-Path", value: Buffer.from("shadow") },
          { name: "Uri-Query", value: Buffer.from(`auth=${token}`) },
        ],
      } as const;
      c.send({ ...request, options: [...request.options] });
      const answer = await c.next(0);
      expect(answer).toMatchObject({ ack: true, messageId: 4242, code: "4.04", token: Buffer.from([1, 2, 3]) });
      c.send({ ...request, options: [...request.options] });
      await c.next(1);
      expect(c.raw(1)).toEqual(c.raw(0));

      c.send({ confirmable: true, messageId: 7, code: "0.00" });
      expect(await c.next(2)).toMatchObject({ reset: true, messageId: 7, code: "0.00" });
    } finally {
      c.close();
    }
  });

  it("holds a bound address to its device: another device's token, a wrong one or none from it is 4.01 and stores nothing", async () => {
    // Over UDP a session is an address and port, which a NAT may hand to the next client.
    const tokenA = await createDevice("gwc-nat-a");
    const tokenB = await createDevice("gwc-nat-b");
    const c = await udpClient();
    const post = (messageId: number, n: number, auth: string | null) =>
      c.send({
        confirmable: true,
        messageId,
        token: Buffer.from([messageId]),
        code: "0.02",
        payload: Buffer.from(JSON.stringify({ data: { n } })),
        options: [
          { name: "Uri-Path", value: Buffer.from("telemetry") },
          ...(auth === null ? [] : [{ name: "Uri-Query" as const, value: Buffer.from(`auth=${auth}`) }]),
          { name: "Content-Format", value: Buffer.from([50]) },
        ],
      });
    try {
      const codes: string[] = [];
      for (const [i, auth] of [tokenA, tokenB, "wrong", null, tokenA].entries()) {
        post(100 + i, i, auth);
        codes.push((await c.next(i)).code);
      }
      // none: a forged source address alone would otherwise write as the device bound to it
      expect(codes).toEqual(["2.04", "4.01", "4.01", "4.01", "2.04"]);
      const rows = async (id: string) => (await apiJson<{ items: { data: { n: number } }[] }>("GET", `/v1/devices/${id}/telemetry`, 200)).items.map((r) => r.data.n).sort();
      expect(await rows("gwc-nat-a")).toEqual([0, 4]);
      expect(await rows("gwc-nat-b")).toEqual([]);
    } finally {
      c.close();
    }
  });

  it("prints its counters on SIGINT and exits 0", async () => {
    expect(await gw.stop()).toBe(0);
    const stats = gw.lines.find((l) => l.event === "gateway.stats");
    expect(stats?.["coap.peers"]).toBeGreaterThanOrEqual(8);
    expect(stats?.["coap.hubFailures"]).toBe(0);
    expect(gw.lines.at(-1)).toMatchObject({ event: "gateway.stopped" });
  });
});
