/**
 * A device's MQTT access computed from the registry, for one device and for a fleet at once:
 * the same answer either way, and a fleet costs a few queries per 90 devices, not four per
 * device (each query is a subrequest, and a request may make only so many).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Env } from "../../durable-objects/env";
import { DEFAULT_DEVICE_POLICY, type PolicyStatement } from "../../protocols/mqtt";
import { db } from "../../workers/db/client";
import { channelMembers, channels, devices, groupMembers, groups, policies, policyAttachments } from "../../workers/db/schema";
import { deviceAccess, devicesAccess } from "../../workers/registry/access";
import { slices } from "../../workers/fan-out";

const base = env as unknown as Env;

/** `env` whose D1 binding counts the statements prepared through it. */
function counting(): { env: Env; queries: () => number } {
  let n = 0;
  const DB = new Proxy(base.DB, {
    get(target, key) {
      if (key === "prepare") return (q: string) => (n++, target.prepare(q));
      const v: unknown = Reflect.get(target, key);
      return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  return { env: { ...base, DB }, queries: () => n };
}

const statement = (topic: string): PolicyStatement => ({ effect: "allow", actions: ["publish"], topics: [topic] });

describe("device access from the registry", () => {
  it("is the same for a fleet computed at once as for each device, in a few queries", async () => {
    const d = db(base);
    const ids = Array.from({ length: 150 }, (_, i) => `acc-${String(i).padStart(3, "0")}`);
    const groupNames = Array.from({ length: 100 }, (_, i) => `acc-g${String(i).padStart(3, "0")}`);
    for (const s of slices(ids, 10)) await d.insert(devices).values(s.map((id, i) => ({ id, tags: [`floor:${i}`], attributes: { site: `s${id.slice(-1)}` } })));
    await d.insert(devices).values({ id: "acc-lone" });
    for (const s of slices([...groupNames, "acc-all"], 20)) await d.insert(groups).values(s.map((name) => ({ name })));
    const members = ids.flatMap((id, i) => [{ groupName: groupNames[i % 100]!, deviceId: id }, { groupName: "acc-all", deviceId: id }]);
    for (const s of slices(members, 30)) await d.insert(groupMembers).values(s);
    await d.insert(channels).values({ id: "acc-ch" });
    await d.insert(channelMembers).values({ channelId: "acc-ch", deviceId: "acc-005" });
    await d.insert(policies).values([
      { id: "acc-p-dev", statements: [statement("own/${deviceId}")] },
      { id: "acc-p-grp", statements: [statement("line/${group}")] },
    ]);
    await d.insert(policyAttachments).values({ policyId: "acc-p-dev", targetKind: "device", targetId: "acc-007" });
    // Every numbered group: more group targets than one IN list takes.
    for (const s of slices(groupNames, 30)) await d.insert(policyAttachments).values(s.map((g) => ({ policyId: "acc-p-grp", targetKind: "group" as const, targetId: g })));

    const fleet = [...ids, "acc-lone", "acc-missing"];
    const c = counting();
    const all = await devicesAccess(c.env, fleet);
    // Before: 4 queries per device (608 here). Now: 3 per 90 devices (6), and the attachments of
    // 152 devices and their 101 groups, 90 targets a query (3).
    expect(c.queries()).toBe(9);
    expect(all.size).toBe(fleet.length);

    // The device's own policy first, then its groups' (by name); variables from its row and memberships.
    expect(all.get("acc-007")).toEqual({
      policy: [statement("own/${deviceId}"), statement("line/${group}")],
      variables: { deviceId: "acc-007", clientId: "acc-007", group: ["acc-all", "acc-g007"], channel: [], "tag:floor": ["7"], "attr:site": "s7" },
    });
    expect(all.get("acc-105")?.policy).toEqual([statement("line/${group}")]);
    expect(all.get("acc-005")?.variables.channel).toEqual(["acc-ch"]);
    // No policy attached to it or its groups: the default device policy.
    expect(all.get("acc-lone")).toEqual({ policy: DEFAULT_DEVICE_POLICY, variables: { deviceId: "acc-lone", clientId: "acc-lone", group: [], channel: [] } });
    expect(all.get("acc-missing")?.policy).toBe(DEFAULT_DEVICE_POLICY);

    for (const id of ["acc-000", "acc-007", "acc-099", "acc-149", "acc-lone"]) {
      const one = counting();
      expect(await deviceAccess(one.env, id)).toEqual(all.get(id));
      expect(one.queries()).toBe(4);
    }
  });
});
