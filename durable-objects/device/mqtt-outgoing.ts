/**
 * What an MQTT session sends, per socket, in the order it was produced: a batch of packets goes
 * out only once the writes it acknowledges are durable (group commit), without holding up other
 * events, so PUBACKs keep the order of their PUBLISHes [MQTT-4.6.0-2]. A batch whose write failed
 * is never acknowledged: the connection ends and the client resends.
 */
import { encode, type MqttPacket } from "../../protocols/mqtt";
import { closeQuietly } from "./sockets";

/** Packets to send to a socket once `ready` (their writes are durable), then maybe close. */
export interface Outgoing {
  packets: MqttPacket[];
  version: number;
  ready: Promise<void> | null;
  close: number | null;
  /** Acknowledgements of the client's messages among the packets (they wait for `ready`). */
  acks: number;
}

/** The WebSocket close code for an MQTT reason code (the edge passes it on to the client). */
function closeCodeOf(reasonCode: number): number {
  if (reasonCode < 0x80 || reasonCode === 0x8e) return 1000;
  // Not authorized, banned, administrative action: a policy close, not a protocol error.
  if (reasonCode === 0x87 || reasonCode === 0x8a || reasonCode === 0x98) return 1008;
  return 1002;
}

/** Encodes and sends packets now; stops at the first the socket refuses (it is closing). */
export function sendPackets(ws: WebSocket, packets: readonly MqttPacket[], version: number): void {
  for (const p of packets) {
    try {
      ws.send(encode(p, version === 3 || version === 5 ? version : 4));
    } catch {
      return;
    }
  }
}

export class OutgoingQueues {
  private readonly queues = new Map<WebSocket, Outgoing[]>();

  /** Sends `item` after everything queued before it for `ws` (at once when nothing waits). */
  send(ws: WebSocket, item: Outgoing): void {
    let queue = this.queues.get(ws);
    if (!queue && item.ready === null) return flush(ws, item);
    if (!queue) {
      queue = [];
      this.queues.set(ws, queue);
    }
    queue.push(item);
    if (queue.length === 1) void this.drain(ws, queue);
  }

  /** Acknowledgements waiting for durable writes on `ws` (for the client's Receive Maximum). */
  pendingAcks(ws: WebSocket): number {
    let n = 0;
    for (const item of this.queues.get(ws) ?? []) n += item.acks;
    return n;
  }

  private async drain(ws: WebSocket, queue: Outgoing[]): Promise<void> {
    while (queue.length > 0) {
      const item = queue[0]!;
      let failed = false;
      if (item.ready) await item.ready.catch(() => (failed = true));
      queue.shift();
      flush(ws, failed ? { ...item, packets: [], close: 0x80 } : item);
    }
    this.queues.delete(ws);
  }
}

function flush(ws: WebSocket, item: Outgoing): void {
  sendPackets(ws, item.packets, item.version);
  if (item.close !== null) closeQuietly(ws, closeCodeOf(item.close), `mqtt 0x${item.close.toString(16)}`);
}
