/**
 * Device over the JSON protocol against a fake socket: handshake, deltas, reports, telemetry
 * acks and `busy`, commands, methods, reconnects that resend what waited, and final closes.
 */
import { describe, expect, it } from "vitest";
import { Device } from "./device";
import { CommandRejected, ConnectError, HubRefusedError, MethodError } from "./errors";
import type { DeviceStatus } from "./device-handlers";
import { FakeSockets, until } from "./testing/fake-socket";

const fast = { initialMs: 1, maxMs: 5 };

async function connected(sockets = new FakeSockets()) {
  sockets.onOpen = (s) => s.accept();
  const device = await Device.connect({ url: "http://hub.test", deviceId: "d1", token: "tok", sockets, backoff: fast });
  const statuses: DeviceStatus[] = [];
  device.onStatus((s) => statuses.push(s));
  return { device, sockets, statuses };
}

describe("Device (JSON protocol)", () => {
  it("connects to /v1/connect with the token as a subprotocol", async () => {
    const { device, sockets } = await connected();
    expect(sockets.last.url).toBe("ws://hub.test/v1/connect");
    expect(sockets.last.protocols).toEqual(["umbra.v1", "token.tok"]);
    await device.close();
    expect(sockets.last.closedBySdk?.code).toBe(1000);
  });

  it("keeps a delta that came before any handler and delivers it when one is registered", async () => {
    const { device, sockets } = await connected();
    sockets.last.receive({ type: "shadow.delta", shadow: "", version: 3, state: { color: "red" }, metadata: {} });
    sockets.last.receive({ type: "shadow.delta", shadow: "", version: 4, state: {}, metadata: {} }); // cleared: not a delta to obey
    const got: unknown[] = [];
    device.onDelta((state, info) => void got.push({ state, ...info }));
    await until(() => got.length === 1);
    expect(got).toEqual([{ state: { color: "red" }, shadow: "", version: 3 }]);
  });

  it("reports with a clientToken and resolves with the accepted version; a rejection throws", async () => {
    const { device, sockets } = await connected();
    const reported = device.report({ color: "red" });
    const sent = sockets.last.sent.at(-1)!;
    expect(sent).toMatchObject({ type: "shadow.update", shadow: "", state: { reported: { color: "red" } } });
    sockets.last.receive({ type: "shadow.accepted", shadow: "", op: "update", version: 7, timestamp: 1, clientToken: sent.clientToken });
    expect(await reported).toBe(7);
    const stale = device.report({ x: 1 }, { shadow: "wifi" });
    const second = sockets.last.sent.at(-1)!;
    expect(second.shadow).toBe("wifi");
    sockets.last.receive({ type: "shadow.rejected", shadow: "wifi", op: "update", code: 409, message: "Version conflict", clientToken: second.clientToken });
    await expect(stale).rejects.toMatchObject({ name: "ShadowRejectedError", code: 409 });
  });

  it("resolves telemetry on its ack, sends it again after busy, and rejects other refusals", async () => {
    const { device, sockets } = await connected();
    const first = device.sendTelemetry({ temp: 21.5 }, 1_767_225_600_000);
    const m = sockets.last.sent.at(-1)!;
    expect(m).toMatchObject({ type: "telemetry", data: { temp: 21.5 }, ts: 1_767_225_600_000 });
    sockets.last.receive({ type: "error", code: "busy", message: "slow down", id: m.id, retryAfterMs: 1 });
    await until(() => sockets.last.sent.filter((s) => s.id === m.id).length === 2, "resent after busy");
    sockets.last.receive({ type: "ack", id: m.id });
    await first;
    const refused = device.sendTelemetry({ temp: 1 });
    sockets.last.receive({ type: "error", code: "bad_message", message: "no", id: sockets.last.sent.at(-1)!.id });
    await expect(refused).rejects.toBeInstanceOf(HubRefusedError);
    await expect(device.sendTelemetry({ temp: 1 }, 1_767_225_600)).rejects.toThrow(/seconds/);
  });

  it("turns command handler outcomes into results, and answers a redelivered command without running it again", async () => {
    const { device, sockets } = await connected();
    let runs = 0;
    device.onCommand((c) => {
      runs++;
      if (c.name === "reboot") return { rebooted: true };
      if (c.name === "fly") throw new CommandRejected("cannot fly");
      throw new Error("broken");
    });
    const s = sockets.last;
    s.receive({ type: "command", id: "c1", name: "reboot", payload: { delay: 1 } });
    s.receive({ type: "command", id: "c2", name: "fly", payload: null });
    s.receive({ type: "command", id: "c3", name: "other" });
    await until(() => s.sent.length === 3);
    s.receive({ type: "command", id: "c1", name: "reboot", payload: { delay: 1 } });
    await until(() => s.sent.length === 4);
    expect(s.sent).toEqual([
      { type: "command.result", id: "c1", status: "completed", result: { rebooted: true } },
      { type: "command.result", id: "c2", status: "rejected", result: { error: "cannot fly" } },
      { type: "command.result", id: "c3", status: "failed", result: { error: "broken" } },
      { type: "command.result", id: "c1", status: "completed", result: { rebooted: true } },
    ]);
    expect(runs).toBe(3);
  });

  it("answers methods: the return value as 200, a MethodError's status, 404 for an unknown name", async () => {
    const { device, sockets } = await connected();
    const s = sockets.last;
    s.receive({ type: "method", id: "m0", name: "ping", payload: 1 }); // waits for the first handler
    device.onMethod("ping", (p) => ({ pong: p }));
    device.onMethod("speed", () => {
      throw new MethodError(400, "speed must be 1-10");
    });
    s.receive({ type: "method", id: "m1", name: "speed", payload: 11 });
    s.receive({ type: "method", id: "m2", name: "nope" });
    await until(() => s.sent.length === 3);
    // The 404 needs no handler, so it may leave before the others: compare by id.
    expect([...s.sent].sort((a, b) => String(a.id).localeCompare(String(b.id)))).toEqual([
      { type: "method.response", id: "m0", status: 200, payload: { pong: 1 } },
      { type: "method.response", id: "m1", status: 400, payload: { error: "speed must be 1-10" } },
      { type: "method.response", id: "m2", status: 404, payload: { error: 'no method "nope" on this device' } },
    ]);
  });

  it("reconnects after the hub closes the socket and sends again what was not acknowledged", async () => {
    const { device, sockets, statuses } = await connected();
    const pending = device.sendTelemetry({ n: 1 });
    const id = sockets.last.sent.at(-1)!.id;
    sockets.last.hubClose(1001, "going away");
    const offline = device.sendTelemetry({ n: 2 }); // queued while disconnected
    await until(() => sockets.opened.length === 2 && sockets.last.readyState === 1, "reconnected");
    await until(() => sockets.last.sent.length === 2);
    expect(sockets.last.sent.map((m) => m.data)).toEqual([{ n: 1 }, { n: 2 }]);
    expect(sockets.last.sent[0]!.id).toBe(id);
    for (const m of sockets.last.sent) sockets.last.receive({ type: "ack", id: m.id });
    await Promise.all([pending, offline]);
    expect(statuses).toEqual([
      { kind: "disconnected", reason: "closed by the hub: 1001 going away" },
      { kind: "connected", reconnect: true },
    ]);
    await device.close();
  });

  it("keeps trying while the hub is unreachable, backing off", async () => {
    const { device, sockets } = await connected();
    sockets.onOpen = (s) => s.hubClose(1006);
    sockets.last.hubClose(1006);
    await until(() => sockets.opened.length >= 4, "several attempts");
    sockets.onOpen = (s) => s.accept();
    await until(() => sockets.last.readyState === 1, "back online");
    await device.close();
  });

  it.each([
    [4000, "taken over by a newer connection"],
    [4401, "credential revoked"],
    [4403, "device disabled"],
    [4404, "device deleted"],
  ])("stops for good on close %i (%s)", async (code, reason) => {
    const { device, sockets, statuses } = await connected();
    if (code === 4000) sockets.last.receive({ type: "error", code: "session_taken_over", message: "a newer connection" });
    sockets.last.hubClose(code, reason);
    await until(() => statuses.some((s) => s.kind === "stopped"));
    expect(sockets.opened).toHaveLength(1);
    await expect(device.sendTelemetry({ a: 1 })).rejects.toMatchObject({ name: "ClosedError" });
  });

  it("rejects connect at once when the token is refused, and after connectAttempts otherwise", async () => {
    const sockets = new FakeSockets();
    sockets.onOpen = (s) => s.refuse(401);
    const refused = Device.connect({ url: "http://hub.test", deviceId: "d1", token: "bad", sockets, backoff: fast });
    await expect(refused).rejects.toMatchObject({ name: "ConnectError", permanent: true, code: 401 });
    expect(sockets.opened).toHaveLength(1);
    sockets.onOpen = (s) => s.hubClose(1006);
    const down = Device.connect({ url: "http://hub.test", deviceId: "d1", token: "t", sockets, backoff: fast, connectAttempts: 3 });
    await expect(down).rejects.toBeInstanceOf(ConnectError);
    expect(sockets.opened).toHaveLength(4);
  });
});
