import { describe, expect, it } from "vitest";
import { z } from "@hono/zod-openapi";
import { MAX_VALIDATION_ERRORS, validationError } from "./errors";

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

  it("lists the first few of many errors and counts the rest (500 bad items answered 500 errors)", () => {
    const r = z.strictObject({ scopes: z.array(z.enum(["a", "b"])) }).safeParse({ scopes: Array.from({ length: 500 }, () => "x") });
    const err = validationError(r.error!.issues);
    expect((err.extra as { errors: unknown[] }).errors).toHaveLength(MAX_VALIDATION_ERRORS);
    expect(err.extra.errors_omitted).toBe(500 - MAX_VALIDATION_ERRORS);
    expect(err.message).toMatch(/^scopes\.0: /);
  });
});
