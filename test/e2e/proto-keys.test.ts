/**
 * JSON bodies the API stores as sent keep every key, `__proto__` and `constructor` included, as
 * `JSON.parse` and the JSON WebSocket do (rules/README.md: a `__proto__` key "is an ordinary field
 * here"). Found by an outside tester: HTTP telemetry `{"data":{"__proto__":{"via":"http"},"y":1}}`
 * stored `{y:1}`, because request validation rebuilt the object by assignment.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, apiJson, createDevice } from "./client";
import { JsonSocket } from "./json-socket";
import { Encoder } from "cbor-x";

const cbor = new Encoder({ useRecords: false, useTag259ForMaps: false } as ConstructorParameters<typeof Encoder>[0]);

/** An object with own `__proto__` and `constructor` keys (a literal would set the prototype), and a `constructor` that is not a function. */
const odd = (via: string) => JSON.parse(`{"__proto__":{"via":"${via}"},"constructor":{"not":"a function"},"y":1}`) as Record<string, unknown>;
const text = (v: unknown) => JSON.stringify(v);

let token = "";
beforeAll(async () => {
  token = await createDevice("proto-1");
  await createDevice("proto-2");
});

describe("an own __proto__ key", () => {
  it("is stored with HTTP telemetry, JSON and CBOR, as the JSON socket stores it", async () => {
    const proto = (via: string) => JSON.parse(`{"__proto__":{"via":"${via}"},"y":1}`) as Record<string, unknown>;
    await apiJson("POST", "/v1/devices/proto-1/telemetry", 202, { token, body: { data: proto("http"), ts: Date.now() - 3000 } });
    await apiJson("POST", "/v1/devices/proto-1/telemetry", 202, { token, body: [{ data: proto("batch"), ts: Date.now() - 2000 }] });
    await apiJson("POST", "/v1/devices/proto-1/telemetry", 202, { token, body: cbor.encode({ data: proto("cbor"), ts: Date.now() - 1500 }), headers: { "content-type": "application/cbor" } });
    const dev = await JsonSocket.open(token);
    dev.send({ type: "telemetry", id: "t1", data: proto("ws"), ts: Date.now() - 1000 });
    await dev.next((m) => m.type === "ack" && m.id === "t1");
    dev.ws.close();
    const page = await apiJson<{ items: { data: unknown }[] }>("GET", "/v1/devices/proto-1/telemetry?limit=10", 200);
    expect(page.items.map((i) => text(i.data))).toEqual(["http", "batch", "cbor", "ws"].map((via) => text(proto(via))));
  });

  it("is stored with a constructor field that is not a function (z.record refused it as not a record)", async () => {
    await apiJson("POST", "/v1/devices/proto-2/telemetry", 202, { body: { data: odd("http") } });
    const page = await apiJson<{ items: { data: unknown }[] }>("GET", "/v1/devices/proto-2/telemetry?limit=10", 200);
    expect(page.items.map((i) => text(i.data))).toEqual([text(odd("http"))]);
  });

  it("is kept in device attributes, channel metadata, command payloads and shadow state", async () => {
    const made = await apiJson<{ device: { attributes: unknown } }>("POST", "/v1/devices", 201, { body: { id: "proto-3", attributes: odd("attr") } });
    expect(text(made.device.attributes)).toBe(text(odd("attr")));
    await apiJson("PATCH", "/v1/devices/proto-3", 200, { body: { attributes: odd("patch") } });
    expect(text((await apiJson<{ attributes: unknown }>("GET", "/v1/devices/proto-3", 200)).attributes)).toBe(text(odd("patch")));
    const channel = await apiJson<{ metadata: unknown }>("POST", "/v1/channels", 201, { body: { id: "proto-ch", metadata: odd("meta") } });
    expect(text(channel.metadata)).toBe(text(odd("meta")));
    const cmd = await apiJson<{ id: string }>("POST", "/v1/devices/proto-1/commands", 201, { body: { name: "p", payload: odd("cmd") } });
    const got = await apiJson<{ payload: unknown }>("GET", `/v1/devices/proto-1/commands/${cmd.id}`, 200);
    expect(text(got.payload)).toBe(text(odd("cmd")));
    const r = await api("POST", "/v1/devices/proto-1/shadow", { body: { state: { desired: odd("shadow") } } });
    expect(r.status).toBe(200);
    const doc = await apiJson<{ state: { desired: unknown } }>("GET", "/v1/devices/proto-1/shadow", 200);
    expect(text(doc.state.desired)).toBe(text(odd("shadow")));
  });

  it("reaches a rule's dry run and is kept in a rule's desired-state action", async () => {
    const rule = await apiJson<{ id: string; actions: { state?: unknown }[] }>("POST", "/v1/rules", 201, {
      body: {
        name: "proto",
        sql: "SELECT * FROM telemetry WHERE \"__proto__\".via = 'test'",
        scope: { kind: "device", deviceId: "proto-2" },
        enabled: false,
        actions: [{ type: "shadow.desired", state: odd("action") }],
      },
    });
    expect(text(rule.actions[0]!.state)).toBe(text(odd("action")));
    const run = await apiJson<{ fired: boolean; outputs: unknown[] }>("POST", `/v1/rules/${rule.id}/test`, 200, { body: { input: { source: "telemetry", data: odd("test") } } });
    expect(run.fired).toBe(true);
    expect(run.outputs.map(text)).toEqual([text(odd("test"))]);
    await apiJson("DELETE", `/v1/rules/${rule.id}`, 204);
  });
});
