/**
 * The live stream as a browser opens it: no headers, the credential as the subprotocol
 * `token.<token>` beside `umbra.events.v1` (what the console does).
 */
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { adminToken, createDevice, eventually, hubUrl } from "./client";
import { JsonSocket } from "./json-socket";

const streamUrl = (id: string) => `${hubUrl().replace(/^http/, "ws")}/v1/devices/${id}/events`;

/** Opens a stream offering `protocols`; resolves with the socket, or the refusal's HTTP status. */
function open(id: string, protocols: string[]): Promise<{ ws: WebSocket; status: number }> {
  const ws = new WebSocket(streamUrl(id), protocols);
  return new Promise((resolve) => {
    ws.once("open", () => resolve({ ws, status: 101 }));
    ws.once("unexpected-response", (_q, r) => resolve({ ws, status: r.statusCode ?? 0 }));
    ws.once("error", () => resolve({ ws, status: -1 }));
  });
}

describe("event stream with the token as a subprotocol", () => {
  it("opens with an app token, answers umbra.events.v1, and delivers events", async () => {
    const token = await createDevice("cev-1");
    const { ws, status } = await open("cev-1", ["umbra.events.v1", `token.${adminToken()}`]);
    expect(status).toBe(101);
    expect(ws.protocol).toBe("umbra.events.v1");
    const got: { type: string; data: unknown }[] = [];
    ws.on("message", (d) => got.push(JSON.parse(String(d))));
    const dev = await JsonSocket.open(token);
    dev.send({ type: "telemetry", data: { temp: 21.5 } });
    const t = await eventually(async () => got.find((e) => e.type === "telemetry"));
    expect(t.data).toMatchObject({ data: { temp: 21.5 } });
    await dev.close();
    ws.close();
  });

  it("lets a device token open its own stream only", async () => {
    const own = await createDevice("cev-own");
    await createDevice("cev-other");
    const mine = await open("cev-own", ["umbra.events.v1", `token.${own}`]);
    expect(mine.status).toBe(101);
    mine.ws.close();
    expect((await open("cev-other", ["umbra.events.v1", `token.${own}`])).status).toBe(403);
  });

  it("refuses a wrong token, and a token without the events subprotocol", async () => {
    await createDevice("cev-bad");
    expect((await open("cev-bad", ["umbra.events.v1", "token.nope"])).status).toBe(401);
    expect((await open("cev-bad", [`token.${adminToken()}`])).status).toBe(400);
    expect((await open("cev-bad", ["umbra.events.v1"])).status).toBe(401);
  });
});
