import { describe, expect, it } from "vitest";
import { z } from "@hono/zod-openapi";
import { MAX_VALIDATION_ERRORS, PROBLEMS, validationError } from "./errors";

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

describe("problem types", () => {
  it("are each listed in the README's errors paragraph with their status", async () => {
    const { readFileSync } = await import("node:fs");
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    const paragraph = readme.slice(readme.indexOf("Errors are RFC 9457"), readme.indexOf("Lists are pages of"));
    const missing = Object.entries(PROBLEMS).filter(([slug, p]) => !new RegExp(`\`${slug}\`\\s+\\(${p.status}\\b`).test(paragraph) && !new RegExp(`\`${slug}\`[^(]*\\(${p.status}\\)`).test(paragraph));
    expect(missing.map(([slug]) => slug)).toEqual([]);
  });
});
