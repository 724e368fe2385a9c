/**
 * TCP MQTT through the gateway: each TCP connection is carried byte for byte to the hub's
 * `/mqtt` over one WebSocket (subprotocol `mqtt`), so every MQTT feature and every error is
 * the hub's own. Each side pauses the other when its buffer fills, and a close on either side
 * closes the other.
 */
import { createServer, type Socket } from "node:net";
import WebSocket from "ws";
import type { Listener } from "../listener";
import { peerName } from "../listener";
import type { Logger } from "../log";
import type { MqttCounters } from "../stats";
import { ConnectSniffer } from "./client-id";
import { hubFailure, hubHeaders } from "../hub-headers";

/** What the MQTT side needs. */
export interface MqttBridgeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The hub's `/mqtt` WebSocket URL. */
  hubUrl: string;
  log: Logger;
  counters: MqttCounters;
  /** The hub's GATEWAY_KEY: with it, each device's own address goes to the hub (hub-headers.ts). */
  gatewayKey?: string;
  /** Pause the TCP socket while the WebSocket holds more than this many unsent bytes (default 1 MiB). */
  highWaterMark?: number;
}

/** Starts the TCP listener. */
export function startMqttBridge(opts: MqttBridgeOptions): Promise<Listener> {
  const sessions = new Set<() => void>();
  const server = createServer((socket) => sessions.add(relay(socket, opts, (stop) => sessions.delete(stop))));
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      const addr = server.address();
      const port = typeof addr === "object" && addr !== null ? addr.port : opts.port;
      resolve({
        host: opts.host,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            for (const stop of [...sessions]) stop();
          }),
      });
    });
  });
}

/** Relays one connection; returns the function that ends it. */
function relay(socket: Socket, opts: MqttBridgeOptions, forget: (stop: () => void) => void): () => void {
  const { counters, log } = opts;
  const highWater = opts.highWaterMark ?? 1024 * 1024;
  const peer = peerName(socket.remoteAddress, socket.remotePort);
  const started = Date.now();
  const sniffer = new ConnectSniffer();
  const s = { up: 0, down: 0, messagesUp: 0, messagesDown: 0, reason: "" };
  counters.sessions++;
  counters.active++;
  log.info("mqtt.open", { peer });
  socket.setNoDelay(true);

  const ws = new WebSocket(opts.hubUrl, "mqtt", { perMessageDeflate: false, headers: hubHeaders(opts.gatewayKey, socket.remoteAddress) });
  let opened = false;
  let finished = false;
  const because = (why: string) => {
    if (s.reason === "") s.reason = why;
  };

  const drained = () => {
    if (ws.bufferedAmount < highWater / 2 && socket.isPaused()) socket.resume();
  };
  ws.on("open", () => {
    opened = true;
    socket.on("data", (chunk: Buffer) => {
      sniffer.feed(chunk);
      s.up += chunk.length;
      s.messagesUp++;
      counters.bytesUp += chunk.length;
      counters.messagesUp++;
      // After the hub closed, the device may still be flushing (PUBRELs, say): its bytes are dropped.
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(chunk, { binary: true }, drained);
      // the hub is slower than the device: stop reading TCP until the WebSocket drains
      if (ws.bufferedAmount > highWater) socket.pause();
    });
    socket.resume();
  });
  ws.on("message", (data: WebSocket.RawData) => {
    const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data);
    s.down += chunk.length;
    s.messagesDown++;
    counters.bytesDown += chunk.length;
    counters.messagesDown++;
    // the device is slower than the hub: stop reading the WebSocket until TCP drains
    if (!socket.write(chunk)) ws.pause();
  });
  socket.on("drain", () => ws.resume());
  ws.on("close", (code: number, reason: Buffer) => {
    because(`hub closed ${code}${reason.length > 0 ? ` ${reason.toString("utf8")}` : ""}`);
    // after what is already written (a CONNACK refusing the device, say) has reached it
    endSoon();
  });
  ws.on("error", (err: Error) => {
    if (!opened) counters.refused++;
    because(opened ? `hub error: ${err.message}` : hubFailure(err.message, opts.gatewayKey !== undefined));
    socket.destroy();
  });
  socket.on("end", () => {
    because("device closed");
    closeHub();
  });
  socket.on("error", (err: NodeJS.ErrnoException) => because(`device error: ${err.code ?? err.message}`));
  socket.on("close", () => {
    because("device closed");
    closeHub();
    finish();
  });

  function closeHub(): void {
    // 1000 on purpose: a relayed close must never carry 1005/1006 (DESIGN)
    if (ws.readyState === WebSocket.OPEN) ws.close(1000, "device closed");
    else if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  }
  /**
   * Half-closes TCP once written data is out (FIN, as a broker closing the connection does), so a
   * device still writing gets no reset before it read the hub's last packets (DISCONNECT 0x93,
   * say); destroyed after a grace period for a device that never closes its side.
   */
  function endSoon(): void {
    socket.end();
    setTimeout(() => socket.destroy(), 5000).unref();
  }
  function finish(): void {
    if (finished) return;
    finished = true;
    counters.active--;
    forget(stop);
    log.info("mqtt.close", {
      peer,
      client: sniffer.clientId,
      up: s.up,
      down: s.down,
      messagesUp: s.messagesUp,
      messagesDown: s.messagesDown,
      seconds: Math.round((Date.now() - started) / 100) / 10,
      reason: s.reason,
    });
  }
  function stop(): void {
    because("gateway stopping");
    closeHub();
    endSoon();
  }
  return stop;
}
