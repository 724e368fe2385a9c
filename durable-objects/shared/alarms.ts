/**
 * One storage alarm for several concerns of an object (MQTT session deadlines, credential
 * expiries, ...). Each concern says when it next needs to run; the alarm is armed for the
 * earliest. When it fires, the object runs every concern; a concern whose time has come says
 * its next time again, and one whose time is still ahead keeps it ({@link fired}, then
 * {@link rearm} once the concerns ran), so a concern that remembers what it asked for and does
 * not ask again is not forgotten. An alarm already armed earlier than needed is kept (it fires
 * harmlessly), so moving a deadline later costs no storage write.
 */
export class AlarmScheduler {
  private readonly wanted = new Map<string, number>();
  /** What the storage alarm is believed to be; undefined until read once. */
  private armedAt: number | null | undefined = undefined;

  constructor(private readonly storage: DurableObjectStorage) {}

  /** Sets (or, with null, clears) the next time `key` needs the alarm. */
  async set(key: string, at: number | null): Promise<void> {
    if (at === null) this.wanted.delete(key);
    else this.wanted.set(key, at);
    await this.rearm();
  }

  /** Arms the storage alarm for the earliest time wanted (call at the end of `alarm()`). */
  async rearm(): Promise<void> {
    let next: number | null = null;
    for (const t of this.wanted.values()) if (next === null || t < next) next = t;
    if (next === null) return;
    const now = Date.now();
    if (this.armedAt === undefined) this.armedAt = await this.storage.getAlarm();
    if (this.armedAt !== null && this.armedAt > now && this.armedAt <= next) return;
    await this.storage.setAlarm(next);
    this.armedAt = next;
  }

  /**
   * Call at the start of `alarm()`: the storage alarm is no longer armed, and the concerns whose
   * time has come (by `now`) are forgotten until they ask again; later ones are kept.
   */
  fired(now = Date.now()): void {
    this.armedAt = null;
    for (const [key, at] of this.wanted) if (at <= now) this.wanted.delete(key);
  }
}
