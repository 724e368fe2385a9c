/**
 * Credentials that stop being valid while connections opened with them are live: a revocation
 * ends them at once, a rotation's grace period ends them when it runs out (the object's alarm).
 * Pending expiries are kept in the object's storage so a restart does not forget them.
 */
import type { AlarmScheduler } from "../shared/alarms";
import type { DeviceStore } from "./store";

const KEY = "credential_expiry";

export class CredentialWatch {
  constructor(
    private readonly store: DeviceStore,
    private readonly alarms: AlarmScheduler,
    /** Ends every connection opened with `credentialId`. */
    private readonly end: (credentialId: string, why: "revoked" | "expired") => Promise<void>,
  ) {}

  private pending(): Record<string, number> {
    return this.store.getMeta<Record<string, number>>(KEY) ?? {};
  }

  /** The credential stops at `at` (epoch ms), or now when `at` is null or past. */
  async expire(credentialId: string, at: number | null): Promise<void> {
    if (at === null || at <= Date.now()) {
      await this.end(credentialId, at === null ? "revoked" : "expired");
      const p = this.pending();
      if (credentialId in p) {
        delete p[credentialId];
        this.store.setMeta(KEY, p);
      }
      return;
    }
    this.store.setMeta(KEY, { ...this.pending(), [credentialId]: at });
    await this.alarms.set("credentials", at);
  }

  /** From the object's alarm: ends what ran out, re-arms for the next. */
  async onAlarm(now: number): Promise<void> {
    const p = this.pending();
    let next: number | null = null;
    for (const [id, at] of Object.entries(p)) {
      if (at <= now) {
        await this.end(id, "expired");
        delete p[id];
      } else if (next === null || at < next) next = at;
    }
    this.store.setMeta(KEY, p);
    await this.alarms.set("credentials", next);
  }
}
