/**
 * The `/mqtt` relay: the device id is only in CONNECT, so the Worker accepts the socket,
 * reads CONNECT (MQTT.js sends it in many small frames), authenticates it (client id = device
 * id, password = that device's token), and then pipes frames both ways between the client
 * and the device's object, which runs the session. Refusals are answered here with the
 * protocol's own CONNACK code; PINGREQ and keep-alive are handled here too.
 */
import {
  DEFAULT_DEVICE_POLICY,
  MqttProtocolError,
  MqttStream,
  connect,
  connectFailure,
  createSession,
  encode,
  type ConnectPacket,
  type MqttPacket,
} from "../../protocols/mqtt";
import type { Env } from "../../durable-objects/env";
import { resolveAppToken, resolveDeviceToken } from "../auth/resolve";
import { scopesOf } from "../auth/principal";

/** The MQTT user name that marks an app session (password: API key or OAuth token). */
export const APP_USERNAME = "app";
import { openDeviceSession } from "./open-session";

const decoder = new TextDecoder();
const PINGRESP = Uint8Array.of(0xd0, 0x00);

/** One relayed MQTT connection. */
export class MqttRelay {
  private readonly stream = new MqttStream({ role: "server" });
  private readonly pending: ArrayBuffer[] = [];
  private upstream: WebSocket | null = null;
  private stage: "connect" | "auth" | "relay" | "closed" = "connect";
  private tracking = true;
  private lastSeen = Date.now();
  private keepAliveTimer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly env: Env,
    private readonly client: WebSocket,
    private readonly subprotocol: string,
    private readonly remote: string,
  ) {}

  start(): void {
    this.client.accept();
    this.client.binaryType = "arraybuffer";
    this.client.addEventListener("message", (e) => this.onClientFrame(e.data));
    this.client.addEventListener("close", (e) => this.shutdown(e.code === 1005 || e.code === 1006 ? 1000 : e.code));
    this.client.addEventListener("error", () => this.shutdown(1011));
  }

  private onClientFrame(data: unknown): void {
    if (!(data instanceof ArrayBuffer)) return this.refuseRaw();
    this.lastSeen = Date.now();
    if (this.stage !== "connect" && this.lonePingreq(data)) {
      // [MQTT-3.12.4-1] answered at the edge: the object is not woken for keep-alive.
      try {
        this.client.send(PINGRESP);
      } catch {
        this.shutdown(1000);
      }
      return;
    }
    if (this.stage === "relay" && this.upstream) {
      try {
        this.upstream.send(data);
      } catch {
        this.shutdown(1011);
      }
      return;
    }
    if (this.stage !== "connect") {
      this.pending.push(data);
      return;
    }
    this.pending.push(data);
    let packets: MqttPacket[];
    try {
      packets = this.stream.push(new Uint8Array(data.slice(0)));
    } catch (err) {
      if (!(err instanceof MqttProtocolError)) throw err;
      const f = connectFailure(err);
      return this.refuse(f.out, err.protocolVersion ?? 4);
    }
    const first = packets[0];
    if (first?.type === "connect") {
      this.stage = "auth";
      this.watchKeepAlive(first.keepAlive);
      void this.authenticate(first);
    }
  }

  /**
   * Whether a frame is exactly one PINGREQ at a packet boundary. Every frame goes through the
   * Worker's own parser to know where packets start; if it meets bytes it cannot parse it stops
   * tracking and forwards everything, and the object answers with the protocol's error.
   */
  private lonePingreq(data: ArrayBuffer): boolean {
    if (!this.tracking) return false;
    try {
      const packets = this.stream.push(new Uint8Array(data.slice(0)));
      return data.byteLength === 2 && packets.length === 1 && packets[0]?.type === "pingreq" && this.stream.buffered === 0;
    } catch {
      this.tracking = false;
      return false;
    }
  }

  /**
   * Keep-alive is enforced here, where the socket is (the object is told keep-alive 0 for a
   * relayed session): nothing from the client for 1.5 × Keep Alive closes the connection as a
   * network failure would [MQTT-3.1.2-24], so the object publishes the will.
   */
  private watchKeepAlive(seconds: number): void {
    if (seconds <= 0) return;
    const limit = seconds * 1500;
    this.keepAliveTimer = setInterval(() => {
      if (Date.now() - this.lastSeen > limit) this.shutdown(1001);
    }, Math.max(1000, seconds * 500));
  }

  private async authenticate(p: ConnectPacket): Promise<void> {
    const token = p.password ? decoder.decode(p.password) : "";
    let up: WebSocket | null | undefined;
    try {
      up = p.username === APP_USERNAME ? await this.openApp(p, token) : await this.openDevice(p, token);
    } catch {
      return this.shutdown(1011);
    }
    if (up === undefined) {
      // [MQTT-3.2.2-5] a refusing CONNACK, then close: 0x05 (3.1.1) / 0x86 (5.0).
      const r = connect(createSession(p.clientId), p, { ok: false, reason: "bad-credentials" }, { policy: DEFAULT_DEVICE_POLICY, variables: {} }, Date.now());
      return this.refuse(r.out, p.protocolVersion);
    }
    if (!up) return this.shutdown(1011);
    up.accept();
    up.binaryType = "arraybuffer";
    up.addEventListener("message", (e) => {
      try {
        this.client.send(e.data as ArrayBuffer);
      } catch {
        this.shutdown(1000);
      }
    });
    up.addEventListener("close", (e) => this.shutdown(e.code === 1005 || e.code === 1006 ? 1000 : e.code));
    if (this.stage === "closed") {
      up.close(1000, "client gone");
      return;
    }
    this.upstream = up;
    try {
      for (const frame of this.pending.splice(0)) up.send(frame);
    } catch {
      return this.shutdown(1011);
    }
    this.stage = "relay";
  }

  /** A device: client id = device id, password = one of its tokens. `undefined` = refused. */
  private async openDevice(p: ConnectPacket, token: string): Promise<WebSocket | null | undefined> {
    const principal = token ? await resolveDeviceToken(this.env, token) : null;
    if (!principal || principal.kind !== "device" || principal.deviceId !== p.clientId) return undefined;
    return (await openDeviceSession(this.env, this.remote, principal.deviceId, this.subprotocol, { relayed: true })).webSocket;
  }

  /** An app: user name `app`, password = API key or OAuth access token; its scopes decide its topics. */
  private async openApp(p: ConnectPacket, token: string): Promise<WebSocket | null | undefined> {
    const principal = token ? await resolveAppToken(this.env, token) : null;
    if (!principal || !/^[A-Za-z0-9_.:-]{1,128}$/.test(p.clientId)) return undefined;
    const owner = principal.kind === "api-key" ? `key:${principal.id}` : principal.kind === "oauth" ? `client:${principal.clientId}` : "admin";
    // Sessions are per credential owner, so one app can never take over another's session.
    const session = `${owner}/${p.clientId}`;
    const stub = this.env.APP_SESSION.get(this.env.APP_SESSION.idFromName(session));
    const headers = new Headers({
      upgrade: "websocket",
      "x-umbra-session": session,
      "x-umbra-scopes": JSON.stringify(scopesOf(principal)),
      "x-umbra-relayed": "1",
      "x-umbra-subprotocol": this.subprotocol,
      "x-umbra-remote": this.remote,
    });
    return (await stub.fetch(new Request("https://app/connect", { headers }))).webSocket;
  }

  private refuse(out: MqttPacket[], version: number): void {
    for (const p of out) {
      try {
        this.client.send(encode(p, version === 3 || version === 5 ? version : 4));
      } catch {
        break;
      }
    }
    this.shutdown(1000);
  }

  private refuseRaw(): void {
    this.shutdown(1003);
  }

  private shutdown(code: number): void {
    const wasClosed = this.stage === "closed";
    this.stage = "closed";
    if (wasClosed) return;
    if (this.keepAliveTimer) clearInterval(this.keepAliveTimer);
    for (const ws of [this.client, this.upstream]) {
      try {
        ws?.close(code, "closed");
      } catch {
        // already closed
      }
    }
  }
}
