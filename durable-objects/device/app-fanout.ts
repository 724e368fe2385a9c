/**
 * Fan-out from a device to the MQTT app sessions subscribed across devices. The fleet index
 * (D1 `app_subscriptions`) is cached here and refreshed at most every few seconds — never
 * read per message — and each matching session's object is called directly.
 */
import type { Env } from "../env";
import { topicMatches, type Message } from "../../protocols/mqtt";
import { logText, logError } from "../../protocols/log-text";

const REFRESH_MS = 3_000;

export class AppFanout {
  private index: { sessionId: string; filter: string }[] = [];
  private loadedAt = 0;
  private loading: Promise<void> | null = null;

  constructor(private readonly env: Env) {}

  private async refresh(): Promise<void> {
    if (Date.now() - this.loadedAt < REFRESH_MS) return;
    this.loading ??= (async () => {
      try {
        const r = await this.env.DB.prepare("SELECT session_id AS sessionId, filter FROM app_subscriptions").all<{ sessionId: string; filter: string }>();
        this.index = r.results;
        this.loadedAt = Date.now();
      } finally {
        this.loading = null;
      }
    })();
    await this.loading;
  }

  /** Sends messages to every app session with a matching filter (each session once per message). */
  async publish(messages: readonly Message[]): Promise<void> {
    if (messages.length === 0) return;
    await this.refresh();
    for (const m of messages) {
      const sessions = new Set(this.index.filter((s) => topicMatches(s.filter, m.topic)).map((s) => s.sessionId));
      for (const id of sessions) {
        const stub = this.env.APP_SESSION.get(this.env.APP_SESSION.idFromName(id));
        stub.deliverMessage(m).catch((err: unknown) => console.error(`app fan-out to ${logText(id)} failed: ${logError(err)}`));
      }
    }
  }
}
