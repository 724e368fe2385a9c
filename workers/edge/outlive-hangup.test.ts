import { Hono } from "hono";
import { describe, expect, it } from "vitest";
import type { AppEnv } from "../app-env";
import { outliveHangup } from "./outlive-hangup";

/** An app whose one route stores a change in two steps, the second after a pause. */
function app(steps: string[]) {
  const a = new Hono<AppEnv>();
  a.use("*", outliveHangup());
  a.all("/change", async (c) => {
    steps.push("stored");
    await new Promise((r) => setTimeout(r, 20));
    steps.push("told");
    return c.body(null, 204);
  });
  return a;
}

/** An execution context that records what is handed to waitUntil. */
function context() {
  const kept: Promise<unknown>[] = [];
  return { kept, ctx: { waitUntil: (p: Promise<unknown>) => void kept.push(p), passThroughOnException: () => undefined, props: {} } };
}

describe("outliveHangup", () => {
  it.each(["POST", "PUT", "PATCH", "DELETE"])("hands a %s handler's whole run to waitUntil, so the runtime keeps it after a hangup", async (method) => {
    const steps: string[] = [];
    const { kept, ctx } = context();
    const res = app(steps).fetch(new Request("http://hub/change", { method }), {}, ctx);
    // Kept from the start: a hangup at any point after this leaves the run to finish.
    expect(kept).toHaveLength(1);
    expect(steps).toEqual(["stored"]);
    await kept[0];
    expect(steps).toEqual(["stored", "told"]);
    expect((await res).status).toBe(204);
  });

  it.each(["GET", "HEAD", "OPTIONS"])("leaves a %s to end with its client", async (method) => {
    const { kept, ctx } = context();
    await app([]).fetch(new Request("http://hub/change", { method }), {}, ctx);
    expect(kept).toHaveLength(0);
  });

  it("answers as before when the handler fails, and what it kept settles", async () => {
    const { kept, ctx } = context();
    const a = new Hono<AppEnv>();
    a.use("*", outliveHangup());
    a.onError((_err, c) => c.text("failed", 500));
    a.post("/fail", () => Promise.reject(new Error("boom")));
    expect((await a.fetch(new Request("http://hub/fail", { method: "POST" }), {}, ctx)).status).toBe(500);
    expect(kept).toHaveLength(1);
    await expect(kept[0]).resolves.toBeDefined(); // settled (Hono turned the failure into the answer)
  });

  it("works without an execution context", async () => {
    const steps: string[] = [];
    const res = await app(steps).request("/change", { method: "POST" });
    expect(res.status).toBe(204);
    expect(steps).toEqual(["stored", "told"]);
  });
});
