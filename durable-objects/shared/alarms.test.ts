import { describe, expect, it } from "vitest";
import { AlarmScheduler } from "./alarms";

/** The storage alarm alone, as a test double: where it is armed, and how often it was set. */
function storage() {
  const s = { alarm: null as number | null, sets: 0 };
  const api = {
    getAlarm: async () => s.alarm,
    setAlarm: async (at: number) => {
      s.alarm = at;
      s.sets++;
    },
  } as unknown as DurableObjectStorage;
  return { s, api };
}

describe("AlarmScheduler", () => {
  it("arms the earliest wanted time, and keeps an earlier alarm rather than moving it later", async () => {
    const { s, api } = storage();
    const a = new AlarmScheduler(api);
    const now = Date.now();
    await a.set("will", now + 9_000);
    await a.set("outbox", now + 5_000);
    expect(s.alarm).toBe(now + 5_000);
    await a.set("outbox", now + 20_000);
    expect(s.alarm).toBe(now + 5_000);
    expect(s.sets).toBe(2);
  });

  it("keeps a concern whose time is still ahead when another's alarm fires, and arms it again", async () => {
    const { s, api } = storage();
    const a = new AlarmScheduler(api);
    const now = Date.now();
    await a.set("will", now + 9_000);
    await a.set("outbox", now + 5_000);
    // The outbox's alarm fires; the will's concern (which remembers it asked) does not ask again.
    a.fired(now + 5_000);
    await a.rearm();
    // Before: fired() forgot every concern, and the will's deadline with it.
    expect(s.alarm).toBe(now + 9_000);
    // Due concerns are forgotten until they ask again.
    a.fired(now + 9_000);
    s.alarm = null;
    await a.rearm();
    expect(s.alarm).toBeNull();
  });
});
