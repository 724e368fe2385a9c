import { describe, expect, it } from "vitest";
import { z } from "@hono/zod-openapi";
import { validationError } from "./errors";

describe("validationError", () => {
  it("gives a field of the wrong type one message, not also zod's length check of it as the expected type", () => {
    const schema = z.strictObject({ events: z.array(z.string()).min(1).max(5), name: z.string().max(3) });
    const r = schema.safeParse({ events: "telemetry", name: "toolong" });
    expect(r.success).toBe(false);
    const err = validationError(r.error!.issues);
    expect(err.extra).toMatchObject({
      errors: [
        { path: "events", code: "invalid_type" },
        { path: "name", code: "too_big" },
      ],
    });
    expect((err.extra as { errors: unknown[] }).errors).toHaveLength(2);
    expect(err.message).toBe("events: Invalid input: expected array, received string");
  });
});
