/**
 * The events of one MQTT session, handled one at a time: the client's own packets before
 * deliveries routed to it, so its PUBACKs keep freeing the in-flight window while a burst of
 * channel messages waits (bounded work per event).
 */
export class SessionEvents {
  private readonly urgent: (() => Promise<void>)[] = [];
  private readonly routine: (() => Promise<void>)[] = [];
  private busy = false;

  /** @param handled called after every event, failed ones included */
  constructor(private readonly handled: () => void) {}

  /** Runs `fn` when no other event is being handled; `urgent` ones (the client's) go first. */
  run<T>(fn: () => Promise<T>, urgent = true): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      (urgent ? this.urgent : this.routine).push(() => fn().finally(this.handled).then(resolve, reject));
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (let job = this.urgent.shift() ?? this.routine.shift(); job; job = this.urgent.shift() ?? this.routine.shift()) await job();
    } finally {
      this.busy = false;
    }
  }
}
