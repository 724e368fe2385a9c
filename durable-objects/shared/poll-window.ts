/**
 * How long one socket has been delivering messages back to back. workerd reads a socket whose
 * next message is already buffered again at once, and polls the rest only when no event is
 * ready: a client that always has its next message waiting (it sends faster than the hub handles,
 * without waiting for answers) keeps every other socket unread and every new connection
 * unaccepted for as long as it goes on. A timer fires only after such a poll, so the time since
 * the first message after the last timer is how long the socket has held the runtime; past
 * `limitMs`, and past {@link FLOOD_MIN_MESSAGES} messages, it is flooding and its connection
 * ends. (The count keeps a slow turn — objects starting up, a burst of commits — from making a
 * client's small window of buffered messages look like a flood.) A client that waits for answers
 * (acknowledgements, replies) runs dry after its window and never comes near the limit.
 */
export class PollWindow {
  private since = 0;
  private messages = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly limitMs: number) {}

  /** Counts a message that arrived at `now`; true once the socket has gone on past the limits with no poll. */
  flooding(now: number): boolean {
    if (this.timer === null) {
      this.since = now;
      this.messages = 0;
      this.timer = setTimeout(() => (this.timer = null), 0);
    }
    return ++this.messages > FLOOD_MIN_MESSAGES && now - this.since > this.limitMs;
  }
}

/** Messages back to back below which a socket is never flooding, however slow the runtime (see {@link PollWindow}). */
export const FLOOD_MIN_MESSAGES = 1_000;
