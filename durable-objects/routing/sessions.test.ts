import { describe, expect, it } from "vitest";
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import { SessionStubs } from "./sessions";

/** A namespace that counts the stubs it makes; a stub's calls fail while `failing` is set. */
function namespace(log: string[]) {
  let made = 0;
  const ns = {
    failing: false,
    made: () => made,
    idFromName: (name: string) => name,
    get: (id: string) => {
      made++;
      return {
        deliverMessages: async (messages: unknown[]) => {
          if (ns.failing) throw new Error("object reset");
          log.push(`${id}:${messages.length}`);
        },
      };
    },
  };
  return ns;
}

const m = (n: number): Message[] => Array.from({ length: n }, (_, i) => ({ topic: `t/${i}`, payload: new Uint8Array(), qos: 1, retain: false }));

describe("SessionStubs", () => {
  it("makes one stub per session, routes by address, and makes it again after a failed call", async () => {
    const log: string[] = [];
    const DEVICE = namespace(log);
    const APP_SESSION = namespace(log);
    const WEBHOOK = namespace(log);
    const stubs = new SessionStubs({ DEVICE, APP_SESSION, WEBHOOK } as unknown as Env);
    for (let i = 0; i < 3; i++) await stubs.deliver("a:owner/app-1", m(2));
    await stubs.deliver("d:lamp-1", m(1));
    await stubs.deliver("w:wh-1", m(1));
    expect(log).toEqual(["owner/app-1:2", "owner/app-1:2", "owner/app-1:2", "lamp-1:1", "wh-1:1"]);
    expect([APP_SESSION.made(), DEVICE.made(), WEBHOOK.made()]).toEqual([1, 1, 1]);
    APP_SESSION.failing = true;
    await expect(stubs.deliver("a:owner/app-1", m(1))).rejects.toThrow("object reset");
    APP_SESSION.failing = false;
    await stubs.deliver("a:owner/app-1", m(1));
    expect(APP_SESSION.made()).toBe(2);
    await expect(stubs.deliver("x:nope", m(0))).rejects.toThrow(/unknown session address/);
  });
});
