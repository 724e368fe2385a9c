/**
 * Webhooks against a real hub: a local receiver gets telemetry (MQTT and HTTP), shadow,
 * presence, command-result and rule events, each verified with the `standardwebhooks` package (an
 * independent implementation of the signature); a receiver that fails first gets the retry;
 * a disabled webhook gets nothing, and one disabled after failures sends its backlog once enabled;
 * a rotated secret signs beside the old one, two at most; the webhook limit holds under concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { LocalHub } from "../../bench/lib/hub";
import { api, apiJson, createDevice, eventually } from "./client";
import { connectMqtt } from "./mqtt-client";
import { WebhookReceiver, type Received } from "./webhook-receiver";
import { JsonSocket } from "./json-socket";

let receiver: WebhookReceiver;
beforeAll(async () => {
  receiver = await WebhookReceiver.start();
});
afterAll(async () => {
  await receiver.close();
});

interface Created {
  id: string;
  secret: string;
  enabled: boolean;
}

interface Delivery {
  id: string;
  type: string;
  status: string;
  attempts: number;
  last_status: number | null;
  delivered_at: string | null;
}

/** Verifies a request with the reference implementation; returns the parsed event. */
function verified(r: Received, secret: string): unknown {
  return new Webhook(secret).verify(r.body, r.headers as Record<string, string>);
}

const ofDevice = (deviceId: string, type?: string) => (e: Received["event"]) => e.deviceId === deviceId && (type === undefined || e.type === type);

describe("webhooks", () => {
  it("POSTs signed telemetry (MQTT and HTTP), shadow and presence events of a device", async () => {
    const token = await createDevice("wh-d1");
    const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: receiver.url, events: ["telemetry", "shadow", "presence"], filter: { deviceId: "wh-d1" }, description: "e2e" } });
    expect(hook.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(hook.enabled).toBe(true);

    const dev = await connectMqtt("/mqtt/wh-d1", { clientId: "wh-d1", password: token, protocolVersion: 5 });
    await dev.publishAsync("devices/wh-d1/telemetry", JSON.stringify({ temp: 21.5 }), { qos: 1 });
    await dev.publishAsync("devices/wh-d1/telemetry/raw", Buffer.from([0xa1, 0x61, 0x74, 0x01]), { qos: 1, properties: { contentType: "application/cbor" } });
    await dev.endAsync();
    await apiJson("POST", "/v1/devices/wh-d1/telemetry", 202, { token, body: { data: { temp: 22 }, ts: Date.now() } });
    await apiJson("POST", "/v1/devices/wh-d1/shadow", 200, { body: { state: { desired: { color: "red" } } } });

    const telemetry = await receiver.waitFor(ofDevice("wh-d1", "telemetry"), 3);
    const shadow = await receiver.waitFor(ofDevice("wh-d1", "shadow"));
    const presence = await receiver.waitFor(ofDevice("wh-d1", "presence"), 2);
    expect(presence.map((r) => [r.event.topic, r.event.data]).sort((a, b) => (a[1] as { ts: number }).ts - (b[1] as { ts: number }).ts)).toEqual([
      ["devices/wh-d1/presence", { connected: true, protocol: "mqtt", ts: expect.any(Number) }],
      ["devices/wh-d1/presence", { connected: false, protocol: "mqtt", ts: expect.any(Number) }],
    ]);
    for (const r of [...telemetry, ...shadow, ...presence]) {
      expect(verified(r, hook.secret)).toEqual(r.event);
      expect(r.headers["webhook-id"]).toBe(r.event.id);
      expect(r.headers["content-type"]).toBe("application/json");
    }
    // Up to 16 requests are in flight per webhook, so arrival order is not promised (events carry ts).
    expect(telemetry.map((r) => [r.event.topic, r.event.data])).toEqual(
      expect.arrayContaining([
        ["devices/wh-d1/telemetry", { temp: 21.5 }],
        ["devices/wh-d1/telemetry/raw", { contentType: "application/cbor", base64: "oWF0AQ==" }],
        ["devices/wh-d1/telemetry", { ts: expect.any(Number), data: { temp: 22 } }],
      ]),
    );
    expect(shadow[0]!.event).toMatchObject({ topic: "$aws/things/wh-d1/shadow/update/documents", data: { current: { state: { desired: { color: "red" } } } } });

    const log = await apiJson<{ items: Delivery[] }>("GET", `/v1/webhooks/${hook.id}/deliveries`, 200);
    expect(log.items.map((d) => d.type).sort()).toEqual(["presence", "presence", "shadow", "telemetry", "telemetry", "telemetry"]);
    expect(log.items.every((d) => d.status === "delivered" && d.attempts === 1 && d.last_status === 200)).toBe(true);
  });

  it("retries a failed delivery with the same webhook-id, and logs both attempts", async () => {
    const token = await createDevice("wh-retry");
    const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: receiver.url, events: ["telemetry"], filter: { deviceId: "wh-retry" } } });
    let failed = false;
    receiver.respond = (r) => {
      if (r.event.deviceId !== "wh-retry" || failed) return 200;
      failed = true;
      return 500;
    };
    await apiJson("POST", "/v1/devices/wh-retry/telemetry", 202, { token, body: { data: { n: 1 } } });
    const [first, second] = await receiver.waitFor(ofDevice("wh-retry"), 2);
    receiver.respond = () => 200;
    expect(second!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);
    expect(verified(second!, hook.secret)).toMatchObject({ data: { ts: expect.any(Number), data: { n: 1 } } });
    const log = await eventually(async () => {
      const l = await apiJson<{ items: Delivery[] }>("GET", `/v1/webhooks/${hook.id}/deliveries`, 200);
      return l.items[0]?.status === "delivered" ? l : null;
    });
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ id: first!.headers["webhook-id"], status: "delivered", attempts: 2, last_status: 200 });
    const state = await apiJson<{ delivery: { pending: number; consecutive_failures: number } }>("GET", `/v1/webhooks/${hook.id}`, 200);
    expect(state.delivery).toMatchObject({ pending: 0, consecutive_failures: 0 });
  });

  it("sends a receiver that answered 429 with Retry-After nothing before then, neither the retry nor a new event", async () => {
    const token = await createDevice("wh-429");
    const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: receiver.url, events: ["telemetry"], filter: { deviceId: "wh-429" } } });
    let refused: number | null = null;
    receiver.respond = (r) => {
      if (r.event.deviceId !== "wh-429" || refused !== null) return 200;
      refused = r.at;
      return { status: 429, headers: { "retry-after": "3" } };
    };
    await apiJson("POST", "/v1/devices/wh-429/telemetry", 202, { token, body: { data: { n: 1 } } });
    await receiver.waitFor(ofDevice("wh-429"), 1);
    await apiJson("POST", "/v1/devices/wh-429/telemetry", 202, { token, body: { data: { n: 2 } } });
    // The log says when they go: not before the pause ends (before: the new event showed its creation time).
    const log = await eventually(async () => {
      const l = await apiJson<{ items: (Delivery & { next_attempt_at: string | null })[] }>("GET", `/v1/webhooks/${hook.id}/deliveries`, 200);
      return l.items.length === 2 ? l : null;
    });
    const pending = log.items.filter((i) => i.status === "pending");
    expect(pending).toHaveLength(2);
    for (const d of pending) expect(Date.parse(d.next_attempt_at!) - refused!).toBeGreaterThanOrEqual(2_900);
    const got = await receiver.waitFor(ofDevice("wh-429"), 3);
    receiver.respond = () => 200;
    // Before: the retry came after the first step (0.5 s here) and the new event at once.
    for (const later of got.slice(1)) expect(later.at - refused!).toBeGreaterThanOrEqual(2_900);
    expect(got.map((r) => (r.event.data as { data: { n: number } }).data.n).sort()).toEqual([1, 1, 2]);
  });

  it("sends nothing to a disabled webhook, and resumes once it is enabled again", async () => {
    const token = await createDevice("wh-off");
    const off = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: `${receiver.url}?off`, events: ["telemetry"], filter: { deviceId: "wh-off" } } });
    const on = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: `${receiver.url}?on`, events: ["telemetry"], filter: { deviceId: "wh-off" } } });
    const patched = await apiJson<{ enabled: boolean; disabled_reason: string }>("PATCH", `/v1/webhooks/${off.id}`, 200, { body: { enabled: false } });
    expect(patched).toMatchObject({ enabled: false, disabled_reason: "disabled by PATCH" });
    await apiJson("POST", "/v1/devices/wh-off/telemetry", 202, { token, body: { data: { n: 1 } } });
    // Both webhooks hear the device's one outbox batch; once the enabled one got it, the disabled one was passed by.
    await receiver.waitFor(ofDevice("wh-off"), 1);
    const offLog = await apiJson<{ items: Delivery[] }>("GET", `/v1/webhooks/${off.id}/deliveries`, 200);
    expect(offLog.items).toEqual([]);

    await apiJson("PATCH", `/v1/webhooks/${off.id}`, 200, { body: { enabled: true } });
    await apiJson("POST", "/v1/devices/wh-off/telemetry", 202, { token, body: { data: { n: 2 } } });
    const got = await receiver.waitFor(ofDevice("wh-off"), 3);
    const n = (r: Received) => (r.event.data as { data: { n: number } }).data.n;
    expect(got.filter((r) => r.url.endsWith("?off")).map(n)).toEqual([2]);
    expect(got.filter((r) => r.url.endsWith("?on")).map(n)).toEqual([1, 2]);
    await apiJson("DELETE", `/v1/webhooks/${on.id}`, 204);
    await apiJson("DELETE", `/v1/webhooks/${off.id}`, 204);
    await api("GET", `/v1/webhooks/${on.id}`).then((r) => expect(r.status).toBe(404));
  });

  it("sends the backlog at once when a webhook disabled after failures is enabled again", async () => {
    // A hub of its own: disabled after 2 failures in a row, at once. The event's next retry is then
    // 30 s (±20 %) away; before, re-enabling left it there (up to an hour in production).
    const vars = { WEBHOOK_ALLOW_PRIVATE: "true", WEBHOOK_RETRY_FIRST_SECONDS: "0.2", WEBHOOK_DISABLE_AFTER_SECONDS: "0", WEBHOOK_DISABLE_MIN_FAILURES: "2" };
    await LocalHub.with("umbra-webhook-backlog-", vars, async (hub) => {
      const at = { base: hub.url, token: hub.adminToken };
      const token = await createDevice("wh-backlog", hub.url, hub.adminToken);
      const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { ...at, body: { url: receiver.url, events: ["telemetry"], filter: { deviceId: "wh-backlog" } } });
      let healthy = false;
      receiver.respond = (r) => (r.event.deviceId !== "wh-backlog" || healthy ? 200 : 503);
      try {
        await apiJson("POST", "/v1/devices/wh-backlog/telemetry", 202, { ...at, token, body: { data: { n: 1 } } });
        const off = await eventually(async () => {
          const v = await apiJson<{ enabled: boolean; delivery: { pending: number; failing_since: string | null } }>("GET", `/v1/webhooks/${hook.id}`, 200, at);
          return v.enabled ? null : v;
        });
        expect(off.delivery.pending).toBe(1);
        // ISO 8601 like every other time in the API (it was epoch ms).
        expect(off.delivery.failing_since).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(receiver.where(ofDevice("wh-backlog"))).toHaveLength(2);
        healthy = true;
        await apiJson("PATCH", `/v1/webhooks/${hook.id}`, 200, { ...at, body: { enabled: true } });
        const [, , sent] = await receiver.waitFor(ofDevice("wh-backlog"), 3, 10_000);
        expect(verified(sent!, hook.secret)).toMatchObject({ data: { data: { n: 1 } } });
        const log = await eventually(async () => {
          const l = await apiJson<{ items: Delivery[] }>("GET", `/v1/webhooks/${hook.id}/deliveries`, 200, at);
          return l.items[0]?.status === "delivered" ? l : null;
        });
        expect(log.items[0]).toMatchObject({ status: "delivered", attempts: 3, last_status: 200 });
      } finally {
        receiver.respond = () => 200;
      }
    });
  }, 120_000);

  it("signs with the old and the new secret after a rotation", async () => {
    const token = await createDevice("wh-rot");
    const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: receiver.url, events: ["telemetry"], filter: { deviceId: "wh-rot" } } });
    const rotated = await apiJson<{ secret: string; previous_expires_at: string }>("POST", `/v1/webhooks/${hook.id}/rotate-secret`, 200);
    expect(rotated.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.previous_expires_at) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    await apiJson("POST", "/v1/devices/wh-rot/telemetry", 202, { token, body: { data: { n: 1 } } });
    const [r] = await receiver.waitFor(ofDevice("wh-rot"));
    expect(String(r!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verified(r!, hook.secret)).toEqual(r!.event);
    expect(verified(r!, rotated.secret)).toEqual(r!.event);
  });

  it("signs with two secrets at most however often it rotates, and with one after a rotation with no grace", async () => {
    // Found by an outside tester: every rotation kept all earlier secrets signing for 24 h, and after
    // 364 rotations the webhook-signature header outgrew receivers' limits (Node answered 431).
    const token = await createDevice("wh-rot3");
    const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: receiver.url, events: ["telemetry"], filter: { deviceId: "wh-rot3" } } });
    const secrets = [hook.secret];
    for (let i = 0; i < 3; i++) secrets.push((await apiJson<{ secret: string }>("POST", `/v1/webhooks/${hook.id}/rotate-secret`, 200)).secret);
    await apiJson("POST", "/v1/devices/wh-rot3/telemetry", 202, { token, body: { data: { n: 1 } } });
    const [r] = await receiver.waitFor(ofDevice("wh-rot3"));
    expect(String(r!.headers["webhook-signature"]).split(" ")).toHaveLength(2);
    expect(verified(r!, secrets[3]!)).toEqual(r!.event);
    expect(verified(r!, secrets[2]!)).toEqual(r!.event);
    expect(() => verified(r!, secrets[1]!)).toThrow();

    for (const grace_seconds of [-1, 86_401, 1.5]) await api("POST", `/v1/webhooks/${hook.id}/rotate-secret`, { body: { grace_seconds } }).then((x) => expect(x.status).toBe(400));
    const leaked = Date.now();
    const fresh = await apiJson<{ secret: string; previous_expires_at: string }>("POST", `/v1/webhooks/${hook.id}/rotate-secret`, 200, { body: { grace_seconds: 0 } });
    expect(Math.abs(Date.parse(fresh.previous_expires_at) - leaked)).toBeLessThan(60_000);
    await apiJson("POST", "/v1/devices/wh-rot3/telemetry", 202, { token, body: { data: { n: 2 } } });
    const got = await receiver.waitFor(ofDevice("wh-rot3"), 2);
    const last = got.find((x) => (x.event.data as { data: { n: number } }).data.n === 2)!;
    expect(String(last.headers["webhook-signature"]).split(" ")).toHaveLength(1);
    expect(verified(last, fresh.secret)).toEqual(last.event);
    expect(() => verified(last, secrets[3]!)).toThrow();
    await apiJson("DELETE", `/v1/webhooks/${hook.id}`, 204);
  });

  it("delivers a command's result from the device and a rule's firing", async () => {
    const token = await createDevice("wh-cmd");
    const hook = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: receiver.url, events: ["command.result", "rule"], filter: null } });
    const dev = await JsonSocket.open(token);
    const cmd = await apiJson<{ id: string }>("POST", "/v1/devices/wh-cmd/commands", 201, { body: { name: "reboot", payload: { delay: 1 } } });
    const pushed = await dev.next((m) => m.type === "command");
    dev.send({ type: "command.result", id: pushed.id, status: "completed", result: { ok: true } });
    const [result] = await receiver.waitFor(ofDevice("wh-cmd", "command.result"));
    expect(result!.event).toMatchObject({ topic: `devices/wh-cmd/commands/${cmd.id}/result`, data: { id: cmd.id, name: "reboot", status: "completed", result: { ok: true } } });
    await dev.close();
    // A rule firing is published by the device's object on devices/<id>/rules/<ruleId>.
    await apiJson("POST", "/v1/rules", 201, { body: { id: "wh-hot", name: "hot", sql: "SELECT t FROM telemetry WHERE t > 30", scope: { kind: "device", deviceId: "wh-cmd" } } });
    await apiJson("POST", "/v1/devices/wh-cmd/telemetry", 202, { token, body: { data: { t: 31 } } });
    const got = await receiver.waitFor(ofDevice("wh-cmd"), 2);
    expect(got.map((r) => r.event.type)).toEqual(["command.result", "rule"]);
    expect(got[1]!.event).toMatchObject({ topic: "devices/wh-cmd/rules/wh-hot", data: { rule: "wh-hot", name: "hot", output: { t: 31 }, at: expect.any(Number) } });
    for (const r of got) verified(r, hook.secret);
    await apiJson("DELETE", `/v1/webhooks/${hook.id}`, 204);
    await apiJson("DELETE", "/v1/rules/wh-hot", 204);
  });

  it("sends a rule's firing once to a webhook that both subscribes to rule events and is the rule's action", async () => {
    const token = await createDevice("wh-twice");
    const both = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: `${receiver.url}?both`, events: ["rule"], filter: { deviceId: "wh-twice" } } });
    const only = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: `${receiver.url}?action`, events: ["presence"], filter: { deviceId: "wh-twice" } } });
    const actions = [both, only].map((h) => ({ type: "webhook", webhookId: h.id }));
    await apiJson("POST", "/v1/rules", 201, { body: { id: "wh-twice", name: "hot", sql: "SELECT t FROM telemetry WHERE t > 30", scope: { kind: "device", deviceId: "wh-twice" }, actions } });
    await apiJson("POST", "/v1/devices/wh-twice/telemetry", 202, { token, body: { data: { t: 31 } } });
    await receiver.waitFor(ofDevice("wh-twice", "rule"), 2);
    await new Promise((r) => setTimeout(r, 1_500));
    const got = receiver.received.filter((r) => r.event.deviceId === "wh-twice");
    expect(got.map((r) => r.url.split("?")[1]).sort()).toEqual(["action", "both"]);
    for (const h of [both, only]) await apiJson("DELETE", `/v1/webhooks/${h.id}`, 204);
    await apiJson("DELETE", "/v1/rules/wh-twice", 204);
  });

  it("applies a tag filter: only the tagged device's events arrive", async () => {
    const plain = await createDevice("wh-plain");
    const blue = await createDevice("wh-blue");
    await apiJson("PATCH", "/v1/devices/wh-blue", 200, { body: { tags: ["wh-blue-tag"] } });
    const tagged = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: `${receiver.url}?tag`, events: ["telemetry"], filter: { tag: "wh-blue-tag" } } });
    const witness = await apiJson<Created>("POST", "/v1/webhooks", 201, { body: { url: `${receiver.url}?all`, events: ["telemetry"] } });
    await apiJson("POST", "/v1/devices/wh-plain/telemetry", 202, { token: plain, body: { data: { n: 1 } } });
    await apiJson("POST", "/v1/devices/wh-blue/telemetry", 202, { token: blue, body: { data: { n: 2 } } });
    // The unfiltered witness heard both; the tag webhook, once it has the blue one, has only that.
    await receiver.waitFor((e) => e.deviceId === "wh-plain" || e.deviceId === "wh-blue", 3);
    const got = receiver.received.filter((r) => r.url.endsWith("?tag"));
    expect(got.map((r) => r.event.deviceId)).toEqual(["wh-blue"]);
    expect(receiver.received.filter((r) => r.url.endsWith("?all")).map((r) => r.event.deviceId).sort()).toEqual(["wh-blue", "wh-plain"]);
    await apiJson("DELETE", `/v1/webhooks/${tagged.id}`, 204);
    await apiJson("DELETE", `/v1/webhooks/${witness.id}`, 204);
  });

  it("holds the limit of 100 webhooks under concurrent creates", async () => {
    // Found by an outside tester: 100 parallel creates from 8 existing webhooks made 106 (count, then insert).
    const ids = async () => (await apiJson<{ items: { id: string }[] }>("GET", "/v1/webhooks?limit=1000", 200)).items.map((w) => w.id);
    const before = await ids();
    const answers = await Promise.all(Array.from({ length: 100 }, () => api("POST", "/v1/webhooks", { body: { url: "https://hooks.example.com/limit", events: ["rule"], filter: { deviceId: "wh-limit" } } })));
    const made = await Promise.all(answers.filter((r) => r.status === 201).map(async (r) => ((await r.json()) as Created).id));
    try {
      expect(answers.map((r) => r.status).filter((s) => s !== 201 && s !== 409)).toEqual([]);
      expect(made).toHaveLength(100 - before.length);
      expect(await ids()).toHaveLength(100);
      const refused = answers.find((r) => r.status === 409);
      expect(await refused?.json()).toMatchObject({ detail: "A hub holds at most 100 webhooks" });
    } finally {
      for (const id of made) await apiJson("DELETE", `/v1/webhooks/${id}`, 204);
    }
  });

  it("refuses bad URLs and bad events at creation", async () => {
    for (const body of [
      { url: "ftp://example.com/", events: ["telemetry"] },
      { url: "https://example.com/", events: [] },
      { url: "https://example.com/", events: ["bogus"] },
      { url: "https://example.com/", events: ["telemetry"], filter: { deviceId: "a/b" } },
    ]) {
      const r = await api("POST", "/v1/webhooks", { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
    }
  });
});
