import { describe, expect, it } from "vitest";
import { compileRule, evaluate } from "../../rules";
import { nextPresence, presenceRuleData, statusOf, type Presence } from "./presence";

const NEVER: Presence = { connected: false, protocol: null, remote_address: null, connected_at: null, disconnected_at: null, last_seen: null };

describe("presence for rules", () => {
  it("gives times in epoch ms (rules/README.md), while the API keeps ISO strings", () => {
    const on = nextPresence(NEVER, true, "json", "10.0.0.1", 0, 1_000)!;
    const off = nextPresence(on, false, "json", "10.0.0.1", 5_000, 9_000)!;
    expect(presenceRuleData(on, 0)).toEqual({ connected: true, protocol: "json", remote_address: "10.0.0.1", connected_at: 1_000, disconnected_at: null, last_seen: 1_000 });
    expect(presenceRuleData(off, 0)).toEqual({ connected: false, protocol: "json", remote_address: "10.0.0.1", connected_at: 1_000, disconnected_at: 9_000, last_seen: 9_000 });
    // The in-memory time of the latest message counts when newer, as for the API.
    expect(presenceRuleData(on, 4_000).last_seen).toBe(4_000);
    expect(presenceRuleData(NEVER, 0)).toEqual(NEVER);
    expect(statusOf(off, 0)).toMatchObject({ connected_at: new Date(1_000).toISOString(), disconnected_at: new Date(9_000).toISOString() });
  });

  it("lets a rule do arithmetic on its times", () => {
    const c = compileRule("SELECT disconnected_at - connected_at AS session FROM presence WHERE connected = false AND last_seen < timestamp() + 1");
    if (!c.ok) throw new Error(c.error.message);
    const off = nextPresence(nextPresence(NEVER, true, "mqtt", null, 0, 1_000)!, false, "mqtt", null, 0, 61_000)!;
    const r = evaluate(c.rule, null, { source: "presence", data: presenceRuleData(off, 0), ts: 61_000 }, { deviceId: "d", now: 61_000 });
    expect(r.firings.map((f) => f.output)).toEqual([{ session: 60_000 }]);
  });
});

describe("nextPresence", () => {
  it("takes a close as a sign of life, but not a connection the hub found gone after a restart", () => {
    const on = nextPresence(NEVER, true, "json", null, 0, 1_000)!;
    // The device closed at 9 s: it was seen then.
    expect(nextPresence(on, false, "json", null, 5_000, 9_000)).toMatchObject({ last_seen: 9_000, disconnected_at: 9_000 });
    // Found gone at 9 s after a restart (nothing in memory): last seen when last stored, not at 9 s.
    expect(nextPresence({ ...on, last_seen: 3_000 }, false, "json", null, 0, 9_000, false)).toMatchObject({ last_seen: 3_000, disconnected_at: 9_000 });
    expect(nextPresence(NEVER, false, "json", null, 0, 9_000, false)).toBeNull();
  });
});
