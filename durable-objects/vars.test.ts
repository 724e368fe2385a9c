import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { NUMBER_VARS, flagVar, numberVar, readNumber, varProblems, type NumberVar } from "./vars";

describe("numberVar", () => {
  it.each([
    ["JSON_MAX_DEPTH", "64", 64],
    ["JSON_MAX_DEPTH", undefined, 32],
    ["JSON_MAX_DEPTH", "", 32],
    ["JSON_MAX_DEPTH", "0", 32],
    ["JSON_MAX_DEPTH", "x", 32],
    ["JSON_MAX_DEPTH", "2.5", 32],
    ["TELEMETRY_MAX_AGE_DAYS", "0.5", 0.5],
    ["PRESENCE_CHECK_SECONDS", "0", 0],
    ["PRESENCE_CHECK_SECONDS", "-1", 600],
    ["WEBHOOK_DISABLE_AFTER_SECONDS", "0", 0],
    ["OAUTH_TOKEN_TTL", "604800", 86_400],
    ["MQTT_MAX_PACKET_BYTES", "2000000", 1_048_576],
    ["MQTT_MAX_KEEPALIVE_SECONDS", "70000", 65_535],
    ["TOPIC_SHARDS", "1e1", 10],
    ["TOPIC_SHARDS", "Infinity", 16],
    // a burst under one token refused every request (h25): the admin too, for AUTH_FAILURE_BURST
    ["AUTH_FAILURE_BURST", "0.5", 20],
    ["DEVICE_HTTP_BURST", "1", 1],
    // nesting past what a recursive walk survives, and timers past what the runtime takes
    ["JSON_MAX_DEPTH", "100000", 1000],
    ["PRESENCE_CHECK_SECONDS", "1e15", 86_400],
    ["WEBHOOK_RETRY_FIRST_SECONDS", "1e300", 3600],
  ] as const)("%s=%s → %d", (name, raw, want) => expect(numberVar({ [name]: raw }, name)).toBe(want));
});

describe("varProblems", () => {
  it("is empty for wrangler.toml's values and for nothing set", () => {
    expect(varProblems({})).toEqual([]);
    expect(varProblems({ MAX_BODY_BYTES: "1048576", JSON_MAX_DEPTH: "32", OAUTH_RATE: "1", MQTT_ANONYMOUS: "false", WEBHOOK_ALLOW_PRIVATE: "true" })).toEqual([]);
  });

  it("names every set value it does not use as written, and what it uses instead", () => {
    // in the table's order
    expect(varProblems({ SHADOW_MAX_BYTES: "64KB", MQTT_MAX_INFLIGHT: "2.5", DEVICE_RATE_PER_SECOND: "-1", OAUTH_TOKEN_TTL: "999999", MQTT_ANONYMOUS: "yes" })).toEqual([
      "OAUTH_TOKEN_TTL is 999999, over its cap: using 86400",
      'SHADOW_MAX_BYTES is "64KB", not a whole number above 0: using the default, 65536',
      'MQTT_MAX_INFLIGHT is "2.5", not a whole number above 0: using the default, 100',
      'DEVICE_RATE_PER_SECOND is "-1", not a number above 0: using the default, 1000',
      'MQTT_ANONYMOUS is "yes", not "true" or "false": off',
    ]);
  });

  it("takes TOML booleans for on/off vars (wrangler.toml may say MTLS_CLIENT_AUTH = true)", () => {
    expect(varProblems({ MTLS_CLIENT_AUTH: true, MQTT_ANONYMOUS: false })).toEqual([]);
    expect([flagVar({ MTLS_CLIENT_AUTH: true }, "MTLS_CLIENT_AUTH"), flagVar({ MTLS_CLIENT_AUTH: "true" }, "MTLS_CLIENT_AUTH")]).toEqual([true, true]);
    for (const off of [false, "false", "", undefined, "TRUE", 1]) expect(flagVar({ MTLS_CLIENT_AUTH: off }, "MTLS_CLIENT_AUTH")).toBe(false);
  });

  it("never names a secret", () => {
    expect(varProblems({ ADMIN_TOKEN: "x", JWT_SECRET: "y", GATEWAY_KEY: "z" })).toEqual([]);
  });
});

describe("readNumber (property)", () => {
  it("uses a value within bounds as written, and reports exactly the values it does not", () => {
    const names = Object.keys(NUMBER_VARS) as (keyof typeof NUMBER_VARS)[];
    fc.assert(
      fc.property(fc.constantFrom(...names), fc.oneof(fc.double(), fc.integer().map(String), fc.string()), (name, raw) => {
        const spec = NUMBER_VARS[name];
        const { value, problem } = readNumber(raw, spec);
        expect(value === spec.default || value === spec.max || value === Number(raw)).toBe(true);
        if (problem === undefined) expect(value === spec.default || value === Number(raw)).toBe(true);
        else expect(value === Number(raw) && (spec.max === undefined || value <= spec.max)).toBe(false);
        expect(spec.lower === "positive" ? value > 0 : value >= 0).toBe(true);
        if (spec.integer) expect(Number.isInteger(value)).toBe(true);
        const min = (spec as NumberVar).min;
        if (min !== undefined) expect(value).toBeGreaterThanOrEqual(min);
        if (spec.max !== undefined) expect(value).toBeLessThanOrEqual(spec.max);
      }),
    );
  });
});
