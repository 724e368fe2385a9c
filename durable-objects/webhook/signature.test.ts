/** Standard Webhooks signatures: the spec's vector, and agreement with the reference package. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { SECRET_PREFIX, newSecret, secretKey, sign, signatureHeader } from "./signature";

// The example of the Standard Webhooks specification ("Verifying webhook authenticity").
const VECTOR = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
};

describe("webhook signatures", () => {
  it("matches the specification's example", async () => {
    expect(await sign(VECTOR.secret, VECTOR.id, VECTOR.timestamp, VECTOR.body)).toBe(VECTOR.signature);
  });

  it("makes whsec_ secrets of 32 random bytes", () => {
    const a = newSecret();
    expect(a.startsWith(SECRET_PREFIX)).toBe(true);
    expect(secretKey(a)).toHaveLength(32);
    expect(newSecret()).not.toBe(a);
    expect(() => secretKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toThrow(/whsec_/);
  });

  it("signs with every secret during a rotation, each verifiable on its own", async () => {
    const [older, newer] = [newSecret(), newSecret()];
    const now = Math.floor(Date.now() / 1000);
    const body = JSON.stringify({ type: "telemetry", data: { temp: 21.5 } });
    const header = await signatureHeader([newer, older], "evt_1", now, body);
    expect(header.split(" ")).toHaveLength(2);
    const headers = { "webhook-id": "evt_1", "webhook-timestamp": String(now), "webhook-signature": header };
    for (const s of [older, newer]) expect(new Webhook(s).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(/signature/i);
  });

  it("agrees with the standardwebhooks package on any id, time and body", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1 }), fc.integer({ min: 0, max: 4_000_000_000 }), fc.string(), async (key, id, ts, body) => {
        const secret = SECRET_PREFIX + Buffer.from(key).toString("base64");
        expect(await sign(secret, id, ts, body)).toBe(new Webhook(secret).sign(id, new Date(ts * 1000), body));
      }),
      { numRuns: 200 },
    );
  });
});
