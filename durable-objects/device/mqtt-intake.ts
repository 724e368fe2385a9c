/**
 * How an MQTT session takes messages routed to it (channel fan-out, a device's topics, shadow
 * events): in batches, and no faster than its client takes them.
 *
 * Batches: deliveries that arrive while earlier ones are being stored wait together and are
 * stored in one run with one write. A session subscribed across many devices gets a small batch
 * from each of their objects, and a commit per batch was the fan-in's ceiling. A batch waits only
 * for the previous batch's write to be durable (its callers wait for that anyway), so an idle
 * session starts at once and batching adds no latency.
 *
 * Backpressure: a connected session takes messages until its queue (with what waits to join it)
 * is at half its limit (`MQTT_MAX_QUEUED`), then none until it is back at a quarter, the client
 * goes, or `MQTT_ROOM_WAIT_SECONDS` (10) pass. Its callers — device outboxes and topic shards,
 * which keep the messages durably — wait meanwhile (that session's lane only: other sessions go
 * on), and past their own high-water marks so do the publishers' PUBACKs: a subscriber slower
 * than its publishers slows them instead of losing what overflows. An offline session still queues to its limit and drops past it (a subscriber that is
 * away must not stall its publishers).
 */
import type { Message, SessionState } from "../../protocols/mqtt";
import { addMark, type DeliveryMark, type Marks } from "../shared/delivery-marks";

/** A batch as the session stores it: its messages and the outbox marks to record with them. */
export interface IntakeBatch {
  messages: readonly Message[];
  marks: Marks;
}

/** What the intake needs from its session. */
export interface IntakeHost {
  /** The session as it stands (null before it is loaded). */
  state(): SessionState | null;
  /** Stores one batch in one run and one write; `take` (called when the run starts) gives its messages and marks. */
  store(take: () => IntakeBatch): Promise<void>;
  /** Resolves once everything the object wrote so far is durable. */
  durable(): Promise<void>;
  /** The longest a delivery waits for room in a connected session's queue before it goes in anyway. */
  roomWaitMs(): number;
}

interface Batch {
  messages: Message[];
  marks: Map<string, number[]>;
  done: Promise<void>;
}

/** One session's intake of delivered messages. */
export class DeliveryIntake {
  /** The batch that will be stored next, while it gathers. */
  private gathering: Batch | null = null;
  /** Resolves once the last batch is durable. */
  private last: Promise<void> = Promise.resolve();
  /** Deliveries waiting for room in the queue, oldest first. */
  private readonly waitingForRoom: (() => void)[] = [];

  constructor(private readonly host: IntakeHost) {}

  /**
   * Hands `messages` to the session; resolves once they are stored (or dropped by its limits).
   * Their outbox `mark`, if any, is recorded part by part in the writes that store them.
   */
  async deliver(messages: readonly Message[], mark?: DeliveryMark): Promise<void> {
    const parts: Promise<void>[] = [];
    let done = 0;
    let forced = false;
    while (done < messages.length) {
      const room = forced ? messages.length - done : this.room();
      if (room <= 0) {
        forced = !(await this.roomMade());
        continue;
      }
      const end = Math.min(messages.length, done + room);
      parts.push(this.join(messages.slice(done, end), mark && { from: mark.from, seqs: mark.seqs.slice(done, end) }));
      done = end;
    }
    await Promise.all(parts);
  }

  /** The session changed (a client PUBACK, a disconnect): waiting deliveries check again once the queue drained. */
  stateChanged(): void {
    const s = this.host.state();
    if (this.waitingForRoom.length === 0 || (s?.connected && this.pending(s) > s.limits.maxQueued / 4)) return;
    for (const made of this.waitingForRoom.splice(0)) made();
  }

  /** How many more messages a delivery may hand over now. */
  private room(): number {
    const s = this.host.state();
    if (!s?.connected) return Number.POSITIVE_INFINITY;
    if (this.waitingForRoom.length > 0) return 0;
    return Math.max(1, Math.floor(s.limits.maxQueued / 2)) - this.pending(s);
  }

  private pending(s: SessionState): number {
    return s.queue.length + (this.gathering?.messages.length ?? 0);
  }

  /** Resolves true once the queue drained ({@link stateChanged}), false after the host's `roomWaitMs`. */
  private roomMade(): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => {
        const i = this.waitingForRoom.indexOf(made);
        if (i >= 0) this.waitingForRoom.splice(i, 1);
        resolve(false);
      }, this.host.roomWaitMs());
      const made = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.waitingForRoom.push(made);
    });
  }

  /** Adds messages to the batch that will be stored next. */
  private join(messages: readonly Message[], mark: DeliveryMark | undefined): Promise<void> {
    if (this.gathering) {
      this.gathering.messages.push(...messages);
      addMark(this.gathering.marks, mark, messages.length);
      return this.gathering.done;
    }
    const batch: Batch = { messages: [...messages], marks: new Map(), done: Promise.resolve() };
    addMark(batch.marks, mark, messages.length);
    this.gathering = batch;
    batch.done = this.last.then(() =>
      this.host.store(() => {
        // From here on, new deliveries gather for the next batch.
        if (this.gathering === batch) this.gathering = null;
        return batch;
      }),
    );
    // The client's own packets are not held while the write becomes durable; only the next batch is.
    this.last = batch.done.then(() => this.host.durable()).catch(() => undefined);
    return batch.done;
  }
}
