import { describe, expect, it } from "vitest";
import { SessionEvents } from "./mqtt-events";

describe("SessionEvents", () => {
  it("runs one event at a time, the client's before routine ones, and reports each handled, failed ones too", async () => {
    const log: string[] = [];
    const events = new SessionEvents(() => log.push("handled"));
    const step = (name: string, fail = false) => async () => {
      log.push(`start ${name}`);
      await new Promise((r) => setTimeout(r, 1));
      log.push(`end ${name}`);
      if (fail) throw new Error(name);
      return name;
    };
    const first = events.run(step("a"));
    const routine = events.run(step("delivery"), false);
    const failing = expect(events.run(step("b", true))).rejects.toThrow("b");
    await expect(Promise.all([first, routine])).resolves.toEqual(["a", "delivery"]);
    await failing;
    expect(log).toEqual(["start a", "end a", "handled", "start b", "end b", "handled", "start delivery", "end delivery", "handled"]);
  });
});
