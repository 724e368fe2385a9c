/**
 * One storage alarm for several concerns of an object (MQTT session deadlines, credential
 * expiries, ...). Each concern says when it next needs to run; the alarm is armed for the
 * earliest. When it fires, the object runs every concern, and each says its next time again.
 * An alarm already armed earlier than needed is kept (it fires harmlessly), so moving a
 * deadline later costs no storage write.
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
    let next: number | null = null;
    for (const t of this.wanted.values()) if (next === null || t < next) next = t;
    if (next === null) return;
    const now = Date.now();
    if (this.armedAt === undefined) this.armedAt = await this.storage.getAlarm();
    if (this.armedAt !== null && this.armedAt > now && this.armedAt <= next) return;
    await this.storage.setAlarm(next);
    this.armedAt = next;
  }

  /** Call at the start of `alarm()`: the storage alarm is no longer armed. */
  fired(): void {
    this.armedAt = null;
    this.wanted.clear();
  }
}
