/**
 * Server-Sent Events over `fetch` (a browser's EventSource cannot send `Authorization`): a
 * streaming parser (pure) and a reader that turns a response body into data payloads.
 */

/**
 * Splits the text received so far into complete events' `data` (multi-line data joined with
 * `\n`, per the WHATWG event-stream format) and the unfinished rest to keep for the next chunk.
 * Comments (`: …`) and events without data are skipped.
 * @example parseSse("event: x\ndata: {\"a\":1}\n\ndata: par") // { data: ['{"a":1}'], rest: "data: par" }
 */
export function parseSse(text: string): { data: string[]; rest: string } {
  const normalized = text.replace(/\r\n?/g, "\n");
  const blocks = normalized.split("\n\n");
  const rest = blocks.pop() ?? "";
  const data: string[] = [];
  for (const block of blocks) {
    const lines = block.split("\n").filter((l) => l.startsWith("data:"));
    if (lines.length === 0) continue;
    data.push(lines.map((l) => l.slice(5).replace(/^ /, "")).join("\n"));
  }
  return { data, rest };
}

/** Calls `onData` with each event's data from a streaming response body, until it ends. */
export async function readSse(body: ReadableStream<Uint8Array>, onData: (data: string) => void): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      const { data, rest } = parseSse(buffered + decoder.decode(value, { stream: true }));
      buffered = rest;
      for (const d of data) onData(d);
    }
  } finally {
    reader.releaseLock();
  }
}
