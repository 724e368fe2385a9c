/**
 * The writers a crash run keeps busy while the hub is killed: each writes one kind of
 * acknowledged state and records exactly what the hub acknowledged, so that after a restart
 * every acknowledged write can be looked for. A writer stops when told or when its connection
 * dies (the crash), except the resending one, which keeps its client across crashes;
 * unacknowledged writes are simply not recorded.
 */
import type { MqttClient } from "mqtt";
import type { Admin } from "./admin";
import type { MqttEndpoint } from "./brokers";
import { JsonDevice } from "./json-device";
import { connectMqtt } from "./mqtt-clients";

/** What the hub acknowledged, per device id. */
export class AckLog {
  /** Telemetry sequence numbers PUBACKed. */
  readonly telemetry = new Map<string, Set<number>>();
  /** Channel message sequence numbers PUBACKed, per publishing device. */
  readonly channel = new Map<string, Set<number>>();
  /** Shadow updates acknowledged (PUBACK) over MQTT: how many. */
  readonly mqttShadow = new Map<string, number>();
  /** Highest shadow version a REST write answered 200 with. */
  readonly restShadow = new Map<string, number>();
  /** Command numbers the app's publish was PUBACKed for, per target device. */
  readonly commands = new Map<string, Set<number>>();
  /** Next sequence number per device (continues across crashes so numbers stay unique). */
  readonly next = new Map<string, number>();
  errors = 0;

  seq(id: string): number {
    const s = this.next.get(id) ?? 0;
    this.next.set(id, s + 1);
    return s;
  }

  add(map: Map<string, Set<number>>, id: string, n: number): void {
    let set = map.get(id);
    if (!set) map.set(id, (set = new Set()));
    set.add(n);
  }
}

/** A running writer. */
export interface Writer {
  stop(): Promise<void>;
}

/** A writer's connection: it stops the writer when it closes, and is dropped when the writer stops. */
interface Connection {
  onClose(f: () => void): void;
  drop(): void;
}

const mqttConnection = (client: MqttClient): Connection => ({
  onClose: (f) => client.on("close", f),
  drop: () => client.end(true), // flushes unacknowledged publishes with an error: not recorded
});

/** Keeps `lanes` loops going until stopped or until the connection closes. */
function lanes(conn: Connection | undefined, n: number, log: AckLog, step: () => Promise<void>): Writer {
  let stopped = false;
  conn?.onClose(() => (stopped = true));
  const loop = async () => {
    while (!stopped) {
      try {
        await step();
      } catch {
        // the hub is going down (or refused): not acknowledged, so not recorded; retry shortly
        if (!stopped) log.errors++;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  const running = Promise.all(Array.from({ length: n }, loop));
  return {
    async stop() {
      stopped = true;
      conn?.drop();
      await running;
    },
  };
}

/** QoS 1 telemetry `{c: run, d: index, s: seq}` to `devices/<id>/telemetry`, `inflight` at a time. */
export async function telemetryWriter(ep: MqttEndpoint, run: string, index: number, inflight: number, log: AckLog): Promise<Writer> {
  const client = await connectMqtt(ep);
  const id = ep.clientId;
  return lanes(mqttConnection(client), inflight, log, async () => {
    const s = log.seq(id);
    await client.publishAsync(`devices/${id}/telemetry`, JSON.stringify({ c: run, d: index, s }), { qos: 1 });
    log.add(log.telemetry, id, s);
  });
}

/** The same telemetry `{c: run, d: index, s: seq}` over the JSON WebSocket, `inflight` unacknowledged at a time (recorded on `ack`). */
export async function jsonTelemetryWriter(wsBase: string, id: string, token: string, run: string, index: number, inflight: number, log: AckLog): Promise<Writer> {
  const device = await JsonDevice.open(wsBase, token);
  const conn: Connection = { onClose: (f) => device.ws.on("close", f), drop: () => device.ws.terminate() };
  return lanes(conn, inflight, log, async () => {
    const s = log.seq(id);
    await device.telemetry({ c: run, d: index, s });
    log.add(log.telemetry, id, s);
  });
}

/** QoS 1 messages `{c: run, s: seq}` to `channels/<channel>/messages/<id>` (through a topic shard), `inflight` at a time. */
export async function channelWriter(ep: MqttEndpoint, run: string, channel: string, inflight: number, log: AckLog): Promise<Writer> {
  const client = await connectMqtt(ep);
  const id = ep.clientId;
  return lanes(mqttConnection(client), inflight, log, async () => {
    const s = log.seq(id);
    await client.publishAsync(`channels/${channel}/messages/${id}`, JSON.stringify({ c: run, s }), { qos: 1 });
    log.add(log.channel, id, s);
  });
}

/**
 * QoS 2 messages `{c: run, s: seq}` to `channels/<channel>/messages/<id>` from one client kept
 * for the whole run: it reconnects after each crash to its persistent session and resends what
 * was unfinished (PUBLISH with DUP, or PUBREL), as MQTT asks of a client; recorded on PUBCOMP.
 * Its messages must reach the subscriber once each, however often they were resent.
 */
export async function resendingWriter(ep: MqttEndpoint, run: string, channel: string, inflight: number, log: AckLog): Promise<Writer> {
  const client = await connectMqtt(ep, { clean: false, reconnectPeriod: 250 });
  // Through the crashes: connection errors are the point, not a reason to give up.
  client.removeAllListeners("error").on("error", () => undefined);
  const id = ep.clientId;
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      const s = log.seq(id);
      await client.publishAsync(`channels/${channel}/messages/${id}`, JSON.stringify({ c: run, s }), { qos: 2 }).then(
        () => log.add(log.channel, id, s),
        () => log.errors++,
      );
    }
  };
  const running = Promise.all(Array.from({ length: inflight }, loop));
  return {
    async stop() {
      stopped = true;
      // What is in flight finishes on the connection that is back (or is dropped unacknowledged after 20 s).
      await Promise.race([running, new Promise((r) => setTimeout(r, 20_000))]);
      client.end(true);
    },
  };
}

/** Reported-state updates over MQTT QoS 1, one at a time; counts PUBACKs. */
export async function mqttShadowWriter(ep: MqttEndpoint, log: AckLog): Promise<Writer> {
  const client = await connectMqtt(ep);
  const id = ep.clientId;
  return lanes(mqttConnection(client), 1, log, async () => {
    const n = log.seq(id);
    await client.publishAsync(`$aws/things/${id}/shadow/update`, JSON.stringify({ state: { reported: { n } } }), { qos: 1 });
    log.mqttShadow.set(id, (log.mqttShadow.get(id) ?? 0) + 1);
  });
}

/** Desired-state writes over REST, one at a time; keeps the highest version answered. */
export function restShadowWriter(admin: Admin, id: string, log: AckLog): Writer {
  return lanes(undefined, 1, log, async () => {
    const version = await admin.setDesired(id, { n: log.seq(id) });
    log.restShadow.set(id, Math.max(log.restShadow.get(id) ?? 0, version));
  });
}

/** An app session publishing QoS 1 commands `{k}` to `devices/<target>/commands/x`, round robin. */
export async function commander(ep: MqttEndpoint, targets: readonly string[], log: AckLog): Promise<Writer> {
  const client = await connectMqtt(ep, { protocolVersion: 5 });
  let turn = 0;
  return lanes(mqttConnection(client), 2, log, async () => {
    const target = targets[turn++ % targets.length];
    const k = log.seq(`cmd:${target}`);
    const packet = await client.publishAsync(`devices/${target}/commands/x`, JSON.stringify({ k }), { qos: 1 });
    const code = (packet as { reasonCode?: number } | undefined)?.reasonCode ?? 0;
    if (code >= 0x80) throw new Error(`command refused: 0x${code.toString(16)}`);
    log.add(log.commands, target, k);
  });
}
