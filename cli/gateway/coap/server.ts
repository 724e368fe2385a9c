/**
 * The UDP CoAP side of the gateway: one socket, one session per peer address:port, sessions
 * ended when idle, and a cap on how many peers hold a hub connection at once (a UDP source
 * address costs nothing to invent; a WebSocket to the hub does).
 */
import { createSocket, type RemoteInfo } from "node:dgram";
import { isIPv6 } from "node:net";
import { Code, Option, uintOption } from "../../../protocols/coap";
import type { Logger } from "../log";
import type { Listener } from "../listener";
import { peerName } from "../listener";
import type { CoapCounters } from "../stats";
import { parseDatagram, serializeDatagram } from "./datagram";
import { PeerSession } from "./peer";
import { refusal } from "./translate";
import type { TranslatorConfig } from "./config";
import { DEFAULT_TRANSLATOR } from "./config";
import { hubHeaders } from "../hub-headers";

/** What the CoAP side needs. */
export interface CoapGatewayOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** The hub's `/.well-known/coap` WebSocket URL. */
  hubUrl: string;
  log: Logger;
  counters: CoapCounters;
  /** Peers with a session at once; more get 5.03 (default 1024). */
  maxPeers?: number;
  /** The hub's GATEWAY_KEY: with it, each peer's own address goes to the hub (hub-headers.ts). */
  gatewayKey?: string;
  /** Overrides of the per-peer tunables (idle time, timeouts, RFC 7252 timing). */
  translator?: Partial<TranslatorConfig>;
}

/** Seconds a refused peer is told to wait (Max-Age of the 5.03, RFC 7252 §5.9.3.4). */
const RETRY_AFTER_S = 30;

/** Starts the UDP listener. */
export function startCoapGateway(opts: CoapGatewayOptions): Promise<Listener> {
  const { counters, log } = opts;
  const config: TranslatorConfig = { ...DEFAULT_TRANSLATOR, ...opts.translator };
  const maxPeers = opts.maxPeers ?? 1024;
  const peers = new Map<string, { session: PeerSession; name: string }>();
  const socket = createSocket({ type: isIPv6(opts.host) ? "udp6" : "udp4" });
  const send = (bytes: Uint8Array, to: RemoteInfo) => {
    try {
      socket.send(bytes, to.port, to.address, () => {
        // a peer that went away is found out by retransmission, not by a send error
      });
    } catch {
      // the socket is closed: the gateway is stopping
    }
  };

  const retire = (key: string, why: string) => {
    const p = peers.get(key);
    if (p === undefined) return;
    peers.delete(key);
    p.session.end(why);
    counters.active--;
    const t = p.session.tally;
    log.info("coap.close", {
      peer: p.name,
      datagramsIn: t.datagramsIn,
      datagramsOut: t.datagramsOut,
      bytesIn: t.bytesIn,
      bytesOut: t.bytesOut,
      hubConnections: t.hubConnections,
      seconds: Math.round((Date.now() - p.session.started) / 100) / 10,
      reason: why,
    });
  };

  socket.on("message", (bytes: Buffer, from: RemoteInfo) => {
    counters.datagramsIn++;
    counters.bytesIn += bytes.length;
    const key = peerName(from.address, from.port);
    let p = peers.get(key);
    if (p === undefined) {
      if (peers.size >= maxPeers) {
        counters.refused++;
        const parsed = parseDatagram(bytes);
        const no = parsed.ok ? refusal(parsed.msg, Code.SERVICE_UNAVAILABLE, "gateway full", [uintOption(Option.MAX_AGE, RETRY_AFTER_S)]) : null;
        if (no !== null) send(serializeDatagram(no), from);
        return;
      }
      let troubled = false;
      const session = new PeerSession({
        hubUrl: opts.hubUrl,
        hubHeaders: hubHeaders(opts.gatewayKey, from.address),
        config,
        counters,
        sendUdp: (out) => send(out, from),
        onHubTrouble: (why) => {
          // once per session: a peer that keeps asking must not flood the log
          if (troubled) return;
          troubled = true;
          log.warn("coap.hub", { peer: key, reason: why });
        },
      });
      p = { session, name: key };
      peers.set(key, p);
      counters.peers++;
      counters.active++;
      log.info("coap.open", { peer: key });
    }
    p.session.receive(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  });

  const sweep = setInterval(
    () => {
      const now = Date.now();
      for (const [key, p] of peers) if (p.session.idle(now)) retire(key, "idle");
    },
    Math.max(100, Math.min(5000, config.idleMs / 4)),
  );
  sweep.unref();

  return new Promise((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(opts.port, opts.host, () => {
      socket.off("error", reject);
      socket.on("error", (err) => log.warn("coap.socket", { reason: err.message }));
      resolve({
        host: opts.host,
        port: socket.address().port,
        close: async () => {
          clearInterval(sweep);
          for (const key of [...peers.keys()]) retire(key, "gateway stopping");
          // let the last 5.03s and Releases leave before the socket goes
          await new Promise((r) => setTimeout(r, 50));
          await new Promise<void>((done) => socket.close(() => done()));
        },
      });
    });
  });
}
