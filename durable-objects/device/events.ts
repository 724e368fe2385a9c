/**
 * Live event streams for apps: every change of a device (shadow, telemetry, presence, commands,
 * rule firings) becomes
 * one JSON event `{type, deviceId, ts, data}`, sent to the app WebSockets and SSE clients
 * attached to the device's object.
 */
import { sees, type StreamHolder } from "./sockets";

/** Event types an app stream carries. */
export type DeviceEventType =
  | "shadow.updated"
  | "shadow.deleted"
  | "shadow.delta"
  | "shadow.documents"
  | "telemetry"
  | "presence.connected"
  | "presence.disconnected"
  | "command.queued"
  | "command.delivered"
  | "command.completed"
  | "command.rejected"
  | "command.failed"
  | "command.expired"
  | "rule.fired";

/** One event on a device's live stream. `ts` is epoch milliseconds. */
export interface DeviceEvent {
  type: DeviceEventType;
  deviceId: string;
  ts: number;
  data: unknown;
}

/**
 * Formats an event as one Server-Sent Events message (the event name is its type). No `id:`: a
 * stream is not replayed (`Last-Event-ID` has nothing to resume from), and ids counted per object
 * life would start again at 1 after a restart, which a client removing repeats by id would take
 * for events it had.
 */
export function sseFrame(event: DeviceEvent): string {
  return `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
}

const encoder = new TextEncoder();

/** Open SSE responses of one object: writers that are dropped when their client goes away. */
export class SseClients {
  /** Each open stream's writer, with who opened it. */
  private readonly writers = new Map<WritableStreamDefaultWriter<Uint8Array>, StreamHolder>();

  /** Opens a stream for `holder`; the returned Response is handed back to the app. */
  open(holder: StreamHolder, onClose: () => void): Response {
    const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
    const writer = writable.getWriter();
    this.writers.set(writer, holder);
    // A comment line first, so proxies and clients see the stream start at once.
    writer.write(encoder.encode(": umbra event stream\n\n")).catch(() => this.drop(writer, onClose));
    writer.closed.catch(() => this.drop(writer, onClose));
    return new Response(readable, {
      headers: { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" },
    });
  }

  get size(): number {
    return this.writers.size;
  }

  /** Sends an event to every open stream. */
  broadcast(event: DeviceEvent): void {
    if (this.writers.size === 0) return;
    const bytes = encoder.encode(sseFrame(event));
    for (const [w, holder] of this.writers) if (sees(holder, event.type)) w.write(bytes).catch(() => this.drop(w));
  }

  /** Keeps idle connections open through proxies. */
  heartbeat(): void {
    const bytes = encoder.encode(": ping\n\n");
    for (const w of this.writers.keys()) w.write(bytes).catch(() => this.drop(w));
  }

  /** Every open stream's holder (a stream's expiry is renewed in place). */
  holders(): IterableIterator<StreamHolder> {
    return this.writers.values();
  }

  /** Ends the streams whose holder `matches` (their client sees the response end). */
  endWhere(matches: (holder: StreamHolder) => boolean): void {
    for (const [w, holder] of this.writers) {
      if (!matches(holder)) continue;
      this.writers.delete(w);
      w.close().catch(() => undefined);
    }
  }

  private drop(w: WritableStreamDefaultWriter<Uint8Array>, onClose?: () => void): void {
    if (this.writers.delete(w)) onClose?.();
  }
}
