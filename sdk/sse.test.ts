/** The SSE parser: events split across chunks, CRLF, multi-line data, comments. */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { parseSse, readSse } from "./sse";

describe("parseSse", () => {
  it.each([
    ["", [], ""],
    [": umbra event stream\n\n", [], ""],
    ["id: 1\nevent: telemetry\ndata: {\"a\":1}\n\n", ['{"a":1}'], ""],
    ["data: one\ndata: two\n\ndata: x", ["one\ntwo"], "data: x"],
    ["data:nospace\r\n\r\n", ["nospace"], ""],
    ["event: only\n\ndata: a\n\n", ["a"], ""],
  ])("%j", (text, data, rest) => {
    expect(parseSse(text)).toEqual({ data, rest });
  });

  it("gives the same events however the stream is cut into chunks", async () => {
    const payloads = ['{"type":"telemetry"}', '{"type":"shadow.delta","data":{"x":"é"}}', "3"];
    const stream = payloads.map((p, i) => `id: ${i}\nevent: e\ndata: ${p}\n\n`).join(": keep-alive\n\n");
    const bytes = new TextEncoder().encode(stream);
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 8 }), async (cuts) => {
        const points = [0, ...cuts.sort((a, b) => a - b), bytes.length];
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            for (let i = 1; i < points.length; i++) c.enqueue(bytes.slice(points[i - 1], points[i]));
            c.close();
          },
        });
        const got: string[] = [];
        await readSse(body, (d) => got.push(d));
        expect(got).toEqual(payloads);
      }),
    );
  });
});
