/**
 * One device's live events shared by every part of its page: the stream is opened once, and
 * the shadow, chart, command list and event log each listen. The bus keeps the latest events
 * so the log survives switching tabs.
 */
import type { DeviceEvent } from "./types";
import type { StreamState } from "./stream";

type Listener = (e: DeviceEvent) => void;

/** Events of one device, fanned out to listeners, with a bounded backlog. */
export class EventBus {
  private listeners = new Set<Listener>();
  private stateListeners = new Set<(s: StreamState) => void>();
  /** Latest events, oldest first. */
  readonly backlog: DeviceEvent[] = [];
  state: StreamState = "connecting";

  constructor(readonly limit = 500) {}

  /** Delivers `e` to every listener and keeps it in the backlog. */
  push(e: DeviceEvent): void {
    this.backlog.push(e);
    if (this.backlog.length > this.limit) this.backlog.splice(0, this.backlog.length - this.limit);
    for (const fn of this.listeners) fn(e);
  }

  /** Records the stream's state and tells listeners. */
  setState(s: StreamState): void {
    this.state = s;
    for (const fn of this.stateListeners) fn(s);
  }

  /** Listens to events; returns the unsubscribe function. */
  on(fn: Listener): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Listens to state changes; returns the unsubscribe function. */
  onState(fn: (s: StreamState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /**
   * Calls `fn` each time the stream (re)opens: events may have been missed while it was down,
   * so a view that follows events reads its state again then.
   */
  onOpen(fn: () => void): () => void {
    return this.onState((s) => s === "open" && fn());
  }

  /** Forgets the backlog (the log's "Clear"). */
  clear(): void {
    this.backlog.length = 0;
  }
}
