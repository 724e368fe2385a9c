/**
 * The `umbra` command against the real hub: the registry, credentials and shadow commands with
 * their exit codes, `tail`, and `simulate` with a fleet that obeys deltas, completes what `send`
 * queues and answers what `call` asks, over each protocol.
 */
import { afterAll, describe, expect, it } from "vitest";
import { App, ok } from "../../sdk/node";
import { mapLimit } from "../../bench/lib/admin";
import { adminToken, eventually, hubUrl } from "./client";
import { json, umbra, type CliRun } from "./cli-run";
import { freePort } from "../../scripts/hub.mjs";

// The hub is shared with every other suite: leave no fleet behind (a page of devices elsewhere
// must still show its own).
afterAll(async () => {
  const app = new App({ url: hubUrl(), token: adminToken() });
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ok(app.api.GET("/v1/devices", { params: { query: { prefix: "cli", limit: 100, cursor } } }));
    ids.push(...page.items.map((d) => d.id));
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined);
  await mapLimit(ids, 16, (id) => ok(app.api.DELETE("/v1/devices/{id}", { params: { path: { id } } })));
}, 120_000);

describe("umbra devices, credentials and shadow", () => {
  it("create, get, list and delete devices, with exit codes that say what failed", async () => {
    const created = await umbra(["--json", "devices", "create", "cli-1", "--name", "Lamp", "--tag", "light", "--attr", "room=hall"]);
    expect(created.code).toBe(0);
    const c = json<{ device: { id: string; tags: string[]; attributes: unknown }; credential: { token: string } }>(created);
    expect(c.device).toMatchObject({ id: "cli-1", tags: ["light"], attributes: { room: "hall" } });
    expect(c.credential.token.length).toBeGreaterThan(20);
    expect(json(await umbra(["--json", "devices", "get", "cli-1"]))).toMatchObject({ id: "cli-1", name: "Lamp", status: { connected: false } });
    expect((await umbra(["devices", "list", "--prefix", "cli-"])).stdout).toMatch(/^ID\s+NAME\s+STATUS\s+TAGS\ncli-1\s+Lamp\s+offline\s+light\n$/);
    expect((await umbra(["devices", "create", "cli-1"])).code).toBe(6); // 409
    expect((await umbra(["devices", "delete", "cli-1"])).code).toBe(0);
    const gone = await umbra(["--json", "devices", "get", "cli-1"]);
    expect(gone.code).toBe(5);
    expect(JSON.parse(gone.stderr)).toMatchObject({ error: { code: 5 } });
    expect((await umbra(["devices", "list"], { UMBRA_TOKEN: "" })).code).toBe(2);
    expect((await umbra(["devices", "list"], { UMBRA_TOKEN: "wrong" })).code).toBe(4);
    expect((await umbra(["devices", "list"], { UMBRA_URL: `http://127.0.0.1:${await freePort()}` })).code).toBe(3);
    expect((await umbra(["devices", "frobnicate"])).code).toBe(2);
  });

  it("issue, list, rotate and revoke credentials", async () => {
    await umbra(["devices", "create", "cli-2"]);
    const issued = json<{ id: string; token: string }>(await umbra(["--json", "credentials", "issue", "cli-2"]));
    const rotated = json<{ credential: { id: string; token: string }; previous: { id: string } }>(await umbra(["--json", "credentials", "rotate", "cli-2", issued.id, "--grace", "0"]));
    expect(rotated.previous.id).toBe(issued.id);
    expect((await umbra(["--json", "credentials", "revoke", "cli-2", rotated.credential.id])).code).toBe(0);
    const list = json<{ id: string; status: string }[]>(await umbra(["--json", "credentials", "list", "cli-2"]));
    expect(list.map((x) => x.status)).toEqual(["revoked", "expired", "active"]);
  });

  it("sets desired state, reads the shadow and its history; a stale version exits 6, bad JSON 2", async () => {
    await umbra(["devices", "create", "cli-3"]);
    expect((await umbra(["shadow", "set-desired", "cli-3", '{"color":"red"}'])).stdout).toBe("version 1\n");
    expect((await umbra(["shadow", "set-desired", "cli-3", '{"color":"blue"}', "--version", "1"])).code).toBe(0);
    expect((await umbra(["shadow", "set-desired", "cli-3", '{"color":"green"}', "--version", "1"])).code).toBe(6);
    expect((await umbra(["shadow", "set-desired", "cli-3", "[1]"])).code).toBe(2);
    expect(json(await umbra(["--json", "shadow", "get", "cli-3"]))).toMatchObject({ state: { desired: { color: "blue" }, delta: { color: "blue" } }, version: 2 });
    const history = json<{ items: { version: number }[] }>(await umbra(["--json", "shadow", "history", "cli-3"]));
    expect(history.items.map((v) => v.version)).toEqual([1, 2]);
    await umbra(["shadow", "set-desired", "cli-3", '{"on":true}', "--name", "power"]);
    expect(json(await umbra(["--json", "shadow", "get", "cli-3", "--name", "power"]))).toMatchObject({ state: { desired: { on: true } } });
  });

  it("shadow history shows the newest versions, not the first ones ever written", async () => {
    await umbra(["devices", "create", "cli-5"]);
    const app = new App({ url: hubUrl(), token: adminToken() });
    for (let n = 1; n <= 25; n++) await ok(app.api.POST("/v1/devices/{id}/shadow", { params: { path: { id: "cli-5" } }, body: { state: { desired: { n } } } }));
    const versions = (run: CliRun) => json<{ items: { version: number }[] }>(run).items.map((v) => v.version);
    expect(versions(await umbra(["--json", "shadow", "history", "cli-5"]))).toEqual(Array.from({ length: 20 }, (_, i) => i + 6)); // default --limit 20
    expect(versions(await umbra(["--json", "shadow", "history", "cli-5", "--limit", "3"]))).toEqual([23, 24, 25]);
    const table = (await umbra(["shadow", "history", "cli-5", "--limit", "2"])).stdout.trim().split("\n");
    expect(table.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(["24", "25"]);
  });

  it("tails a device's live events", async () => {
    await umbra(["devices", "create", "cli-4"]);
    const tail = umbra(["--json", "tail", "cli-4", "--count", "3"]);
    // The stream is open once a desired change shows up in it; keep changing until it does.
    let n = 0;
    const until = Date.now() + 30_000;
    let done = false;
    void tail.then(() => (done = true));
    while (!done && Date.now() < until) {
      await umbra(["shadow", "set-desired", "cli-4", JSON.stringify({ n: ++n })]);
      await new Promise((r) => setTimeout(r, 300));
    }
    const run = await tail;
    expect(run.code).toBe(0);
    const events = run.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; deviceId: string });
    expect(events).toHaveLength(3);
    expect(events[0]).toMatchObject({ deviceId: "cli-4" });
    expect(events.map((e) => e.type)).toContain("shadow.updated");
  });

  it("tail exits 3 when the hub cannot be reached, rather than retrying in silence", async () => {
    const run = await umbra(["tail", "cli-4", "--count", "1"], { UMBRA_URL: `http://127.0.0.1:${await freePort()}` }, 15_000);
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/cannot reach the hub/);
  });
});

describe("umbra simulate, send and call", () => {
  it("keeps 200 JSON devices reporting with no errors while they obey a delta, complete a command and answer a method", async () => {
    const sim = umbra(["--json", "simulate", "--count", "200", "--rate", "100", "--duration", "12", "--prefix", "clisim-"]);
    // The last device of the ramp-up is online (before that it may not even be registered).
    await eventually(async () => {
      const r = await umbra(["--json", "devices", "get", "clisim-200"]);
      return r.code === 0 && json<{ status: { connected: boolean } }>(r).status.connected;
    }, 60_000);
    expect((await umbra(["shadow", "set-desired", "clisim-001", '{"led":"on"}'])).code).toBe(0);
    const sent = await umbra(["--json", "send", "clisim-002", "blink", "--payload", '{"times":2}', "--wait", "--timeout", "20"]);
    expect(sent.code).toBe(0);
    expect(json(sent)).toMatchObject({ status: "completed", result: { ok: true, device: "clisim-002", command: "blink" } });
    const called = await umbra(["--json", "call", "clisim-003", "status", "--payload", '{"q":1}']);
    expect(json(called)).toEqual({ status: 200, payload: { device: "clisim-003", method: "status", payload: { q: 1 } } });
    const run = await sim;
    const s = json<Record<string, number>>(run);
    expect(run.code, run.stderr).toBe(0);
    expect(s).toMatchObject({ devices: 200, connected: 200, errors: 0, disconnects: 0, deltas: 1, commands: 1, methods: 1 });
    expect(s.acked).toBe(s.sent);
    expect(s.sent).toBeGreaterThan(0);
    const doc = json<{ state: { reported?: Record<string, unknown> } }>(await umbra(["--json", "shadow", "get", "clisim-001"]));
    expect(doc.state.reported).toEqual({ led: "on" });
  }, 150_000);

  it.each(["mqtt", "coap"])("simulates over %s, and reuses the devices of an earlier run", async (protocol) => {
    for (let run = 0; run < 2; run++) {
      const r = await umbra(["--json", "simulate", "--count", "5", "--rate", "10", "--duration", "2", "--protocol", protocol, "--prefix", `cli${protocol}-`]);
      expect(r.code, r.stderr).toBe(0);
      expect(json(r)).toMatchObject({ protocol, connected: 5, errors: 0 });
    }
  }, 90_000);

  it("exits 11 when a method's device is offline, or a waited command gets no answer in time", async () => {
    await umbra(["devices", "create", "cli-off"]);
    expect((await umbra(["call", "cli-off", "ping"])).code).toBe(11);
    expect((await umbra(["send", "cli-off", "reboot", "--wait", "--timeout", "1"])).code).toBe(11);
    expect((await umbra(["send", "cli-off", "reboot", "--ttl", "1", "--wait"])).code).toBe(10); // expired
  });
});
