/**
 * `Device`: one device's connection to the hub over JSON-WS or MQTT, with its shadow, telemetry,
 * commands and methods, reconnecting with backoff and jitter until `close()`.
 */
import type { BackoffOptions } from "./backoff";
import { Backoff } from "./backoff";
import { DeviceHandlers } from "./device-handlers";
import type { DeltaHandler, DeviceStatus } from "./device-handlers";
import { ClosedError, ConnectError } from "./errors";
import { JsonTransport } from "./json-transport";
import type { JsonObject } from "./messages";
import { MqttTransport } from "./mqtt-transport";
import type { SocketFactory } from "./socket";
import { defaultSocketFactory } from "./socket";
import type { Command, Transport } from "./transport";
import { checkTelemetryTs } from "../protocols/telemetry-time";
import type { JsonValue } from "./messages";

/** How to connect a device. */
export interface DeviceOptions {
  /** The hub's base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  /** The device id (its MQTT client id). */
  deviceId: string;
  /** The device's token (from `POST /v1/devices` or `/credentials`). */
  token: string;
  /** `"json"` (default) or `"mqtt"`. */
  protocol?: "json" | "mqtt";
  /** MQTT version: 5 (default) or 4 (3.1.1). */
  mqttVersion?: 4 | 5;
  /** How reconnect delays grow (default 0.5 s doubling to 30 s, half of each random). */
  backoff?: BackoffOptions;
  /** Attempts at the first connection before `connect()` rejects (default 3; a refused token rejects at once). */
  connectAttempts?: number;
  /** A handshake or CONNACK slower than this fails the attempt (default 10 s). */
  connectTimeoutMs?: number;
  /** A telemetry ack or shadow answer slower than this rejects the call (default 30 s). */
  ackTimeoutMs?: number;
  /** WebSockets for the JSON protocol (default: the runtime's, or `ws` from the Node entry). */
  sockets?: SocketFactory;
}

/** A connection that lasted this long resets the backoff; shorter ones keep growing it. */
const STABLE_MS = 5_000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A connected device.
 * @example
 * const device = await Device.connect({ url, deviceId: "lamp-1", token, protocol: "mqtt" });
 * device.onDelta(async (state) => { await device.report(state); });
 * device.onCommand((c) => (c.name === "blink" ? { blinked: true } : undefined));
 * device.onMethod("ping", () => ({ pong: Date.now() }));
 * await device.sendTelemetry({ temp: 21.5 });
 */
export class Device {
  /** The device id. */
  readonly deviceId: string;
  private readonly transport: Transport;
  private readonly handlers: DeviceHandlers;
  private readonly backoff: Backoff;
  private closed = false;
  private connectedAt = 0;
  private reconnecting: Promise<void> | null = null;

  private constructor(o: DeviceOptions) {
    this.deviceId = o.deviceId;
    this.backoff = new Backoff(o.backoff);
    this.handlers = new DeviceHandlers();
    const events = this.handlers.transportEvents((drop) => {
      this.handlers.status({ kind: "disconnected", reason: drop.message });
      if (drop.permanent) {
        this.handlers.status({ kind: "stopped", reason: drop.message });
        this.closed = true;
        void this.transport.close();
      } else this.reconnect();
    });
    const common = { url: o.url, token: o.token, events, ackTimeoutMs: o.ackTimeoutMs ?? 30_000, connectTimeoutMs: o.connectTimeoutMs ?? 10_000 };
    this.transport =
      (o.protocol ?? "json") === "mqtt"
        ? new MqttTransport({ ...common, deviceId: o.deviceId, protocolVersion: o.mqttVersion ?? 5, sessionExpirySeconds: 3600, keepaliveSeconds: 30 })
        : new JsonTransport({ ...common, sockets: o.sockets ?? defaultSocketFactory() });
  }

  /** Connects (trying `connectAttempts` times with backoff) and resolves once the device is online. */
  static async connect(options: DeviceOptions): Promise<Device> {
    const device = new Device(options);
    const attempts = Math.max(1, options.connectAttempts ?? 3);
    for (let i = 1; ; i++) {
      try {
        await device.transport.connect();
        break;
      } catch (e) {
        if (i >= attempts || (e instanceof ConnectError && e.permanent)) {
          await device.transport.close();
          throw e;
        }
        await sleep(device.backoff.next());
      }
    }
    device.backoff.reset();
    device.connectedAt = Date.now();
    device.handlers.status({ kind: "connected", reconnect: false });
    return device;
  }

  /** Calls `handler` with each non-empty shadow delta (at once with one that is open). Returns an unsubscribe function. */
  onDelta(handler: DeltaHandler): () => void {
    return this.handlers.addDelta(handler);
  }

  /**
   * Handles commands: the handler's return value (or `null`) becomes the result with status
   * `completed`; a `CommandRejected` makes it `rejected`, any other throw `failed`.
   */
  onCommand(handler: (command: Command) => unknown): void {
    this.handlers.setCommand(handler);
  }

  /**
   * Answers direct method `name` (`"*"`: every method without its own handler). The return value is
   * the payload of a 200; a `MethodError` sets its status, any other throw answers 500.
   */
  onMethod(name: string, handler: (payload: JsonValue, call: { id: string; name: string }) => unknown): void {
    this.handlers.setMethod(name, handler);
  }

  /** Connection changes: connected, disconnected, stopped (no more reconnects). */
  onStatus(handler: (status: DeviceStatus) => void): void {
    this.handlers.onStatus(handler);
  }

  /** Errors that concern no pending call (a handler threw, the hub refused a message). */
  onError(handler: (error: Error) => void): void {
    this.handlers.onError(handler);
  }

  /** Reports `state` into the shadow's `reported` section; resolves with the shadow's new version. */
  report(state: JsonObject, options: { shadow?: string } = {}): Promise<number> {
    if (this.closed) return Promise.reject(new ClosedError("the device was closed"));
    return this.transport.report(options.shadow ?? "", state);
  }

  /** Sends telemetry (`ts`: epoch ms, default the hub's now); resolves once the hub has stored it. */
  sendTelemetry(data: JsonObject, ts?: number): Promise<void> {
    if (this.closed) return Promise.reject(new ClosedError("the device was closed"));
    if (ts !== undefined) {
      // The hub refuses such a ts too, but its refusal cannot be matched to this call over every protocol.
      const check = checkTelemetryTs(ts, Date.now(), Number.POSITIVE_INFINITY);
      if (!check.ok) return Promise.reject(new RangeError(check.message));
    }
    return this.transport.telemetry(data, ts);
  }

  /** Disconnects for good; calls still waiting reject with `ClosedError`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.transport.close();
    this.handlers.status({ kind: "stopped", reason: "closed" });
  }

  private reconnect(): void {
    if (this.closed || this.reconnecting) return;
    if (Date.now() - this.connectedAt >= STABLE_MS) this.backoff.reset();
    this.reconnecting = (async () => {
      while (!this.closed) {
        await sleep(this.backoff.next());
        if (this.closed) break;
        try {
          await this.transport.connect();
          this.connectedAt = Date.now();
          this.handlers.status({ kind: "connected", reconnect: true });
          break;
        } catch (e) {
          if (e instanceof ConnectError && e.permanent) {
            this.closed = true;
            this.handlers.status({ kind: "stopped", reason: e.message });
            break;
          }
        }
      }
    })().finally(() => {
      this.reconnecting = null;
    });
  }
}
