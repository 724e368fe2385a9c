/**
 * What an MQTT session sends, per socket, in the order it was produced: a batch of packets goes
 * out only once the writes it acknowledges are durable (group commit), without holding up other
 * events, so PUBACKs keep the order of their PUBLISHes [MQTT-4.6.0-2]. A batch whose write failed
 * is never acknowledged: the connection ends and the client resends.
 */
import { encode, joinFrames, type MqttPacket } from "../../protocols/mqtt";
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
  // Not authorized, banned, message rate too high, administrative action: a policy close, not a protocol error.
  if (reasonCode === 0x87 || reasonCode === 0x8a || reasonCode === 0x96 || reasonCode === 0x98) return 1008;
  return 1002;
}

/**
 * Encodes packets and sends them now in one WebSocket message: a frame may hold several MQTT
 * packets [MQTT-6.0.0-2], and each message costs an event at every hop (this object, the edge,
 * the client), where the bytes cost next to nothing. Nothing is sent if the socket is closing.
 */
export function sendPackets(ws: WebSocket, packets: readonly MqttPacket[], version: number): void {
  if (packets.length === 0) return;
  const v = version === 3 || version === 5 ? version : 4;
  try {
    ws.send(packets.length === 1 ? encode(packets[0]!, v) : joinFrames(packets.map((p) => encode(p, v))));
  } catch {
    // closing
  }
}

/** Resolves true when `p` is fulfilled by now (after a turn of microtasks), false when pending or rejected. */
function fulfilledNow(p: Promise<void> | null): Promise<boolean> {
  if (p === null) return Promise.resolve(true);
  // When `p` is already fulfilled its reaction settles first: it was queued first.
  return Promise.race([p.then(() => true, () => false), Promise.resolve().then(() => false)]);
}

export class OutgoingQueues {
  private readonly queues = new Map<WebSocket, Outgoing[]>();

  /** Sends `item` after everything queued before it for `ws` (at once when nothing waits). */
  send(ws: WebSocket, item: Outgoing): void {
    let queue = this.queues.get(ws);
    if (!queue && item.ready === null) return flush(ws, [item]);
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

  /**
   * Sends each item once its writes are durable, in order. Items behind it whose writes are
   * durable too (one group commit acknowledges many) go in the same WebSocket message.
   */
  private async drain(ws: WebSocket, queue: Outgoing[]): Promise<void> {
    while (queue.length > 0) {
      const item = queue[0]!;
      let failed = false;
      if (item.ready) await item.ready.catch(() => (failed = true));
      queue.shift();
      if (failed) {
        flush(ws, [{ ...item, packets: [], close: 0x80 }]);
        continue;
      }
      const batch = [item];
      // Items acknowledged by the same write (one group commit) are fulfilled with it: no need to ask.
      while (queue.length > 0 && batch[batch.length - 1]!.close === null && (queue[0]!.ready === item.ready || (await fulfilledNow(queue[0]!.ready)))) batch.push(queue.shift()!);
      flush(ws, batch);
    }
    this.queues.delete(ws);
  }
}

/** Sends the packets of `items` in one message, up to the first that closes the socket (then closes it). */
function flush(ws: WebSocket, items: readonly Outgoing[]): void {
  const closing = items.findIndex((i) => i.close !== null);
  const sent = closing < 0 ? items : items.slice(0, closing + 1);
  const last = sent[sent.length - 1]!;
  sendPackets(ws, sent.length === 1 ? last.packets : sent.flatMap((i) => i.packets), last.version);
  if (last.close !== null) closeQuietly(ws, closeCodeOf(last.close), `mqtt 0x${last.close.toString(16)}`);
}
