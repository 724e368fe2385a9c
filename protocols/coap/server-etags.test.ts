import { describe, expect, it } from "vitest";
import { Code, formatCode } from "./codes";
import { versionEtag } from "./etag";
import { Option, getOption } from "./options";
import { Driver, json } from "./testing/driver";

async function started(config = {}): Promise<Driver> {
  const d = new Driver(config);
  await d.start();
  return d;
}

const update = (state: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({ state, ...extra });

describe("shadow representations: ETags per format, short 2.04 echoes", () => {
  it("JSON and CBOR forms of one version have different ETags; each validates only itself", async () => {
    const d = await started();
    await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }) });
    const asJson = getOption(await d.request({ path: "/shadow" }), Option.ETAG);
    const asCbor = getOption(await d.request({ path: "/shadow", accept: 60 }), Option.ETAG);
    expect(asJson).toEqual(versionEtag(1, 50));
    expect(asCbor).toEqual(versionEtag(1, 60));
    expect(asCbor).not.toEqual(asJson);
    const ask = (accept: number, etag: Uint8Array | undefined) => d.request({ path: "/shadow", accept, options: [{ number: Option.ETAG, value: etag ?? new Uint8Array() }] });
    expect(formatCode((await ask(60, asJson)).code)).toBe("2.05");
    expect(formatCode((await ask(60, asCbor)).code)).toBe("2.03");
    expect(formatCode((await ask(50, asCbor)).code)).toBe("2.05");
    expect(formatCode((await ask(50, asJson)).code)).toBe("2.03");
    // If-Match compares the version, whichever form's ETag the client holds
    const post = await d.request({ method: Code.POST, path: "/shadow", accept: 60, payload: update({ reported: { a: 2 } }), options: [{ number: Option.IF_MATCH, value: asCbor ?? new Uint8Array() }] });
    expect(formatCode(post.code)).toBe("2.04");
    expect(getOption(post, Option.ETAG)).toEqual(versionEtag(2, 60));
  });

  it("a 2.04 bigger than one block carries only version, timestamp and clientToken", async () => {
    const d = await started({ blockSize: 256 });
    const small = await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { a: 1 } }, { clientToken: "t" }) });
    expect(json(small)).toMatchObject({ state: { reported: { a: 1 } }, version: 1, clientToken: "t" });
    const big = await d.request({ method: Code.POST, path: "/shadow", payload: update({ reported: { blob: "b".repeat(400) } }, { clientToken: "t" }) });
    expect(formatCode(big.code)).toBe("2.04");
    expect(json(big)).toEqual({ version: 2, timestamp: 2, clientToken: "t" });
    expect(getOption(big, Option.ETAG)).toEqual(versionEtag(2, 50));
  });
});
