/**
 * A local HTTP endpoint for webhook tests: records every request (headers, raw body) and
 * answers with whatever `respond` says (200 by default), so a test can fail the first attempt.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

/** One request the receiver got. */
export interface Received {
  /** Path and query the request was sent to. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  /** When it arrived (ms). */
  at: number;
  /** The body as JSON. */
  event: { id: string; type: string; deviceId: string; ts: number; topic: string; data: unknown };
}

export class WebhookReceiver {
  readonly received: Received[] = [];
  /** The status to answer a request with, and any headers. */
  respond: (r: Received) => number | { status: number; headers: Record<string, string> } = () => 200;
  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    let self: WebhookReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8");
        const r: Received = { url: req.url ?? "", headers: req.headers, body, at: Date.now(), event: JSON.parse(body) as Received["event"] };
        self!.received.push(r);
        const answer = self!.respond(r);
        if (typeof answer === "number") res.statusCode = answer;
        else res.writeHead(answer.status, answer.headers);
        res.end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    self = new WebhookReceiver(server);
    return self;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }

  /** Requests whose event passes `match`. */
  where(match: (e: Received["event"]) => boolean): Received[] {
    return this.received.filter((r) => match(r.event));
  }

  /** Waits until `n` requests pass `match`. */
  async waitFor(match: (e: Received["event"]) => boolean, n = 1, ms = 15_000): Promise<Received[]> {
    const until = Date.now() + ms;
    while (this.where(match).length < n) {
      if (Date.now() > until) throw new Error(`webhook receiver: ${this.where(match).length}/${n}; got ${JSON.stringify(this.received.map((r) => r.event))}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.where(match);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
