/** The Worker entry point: the HTTP app, the cron trigger, and the Durable Object classes wrangler binds. */
import { createApp } from "./app";
import { retryParkedPushes } from "./registry/push-retry";

export { DeviceObject } from "../durable-objects/device/device-object";
export { TopicObject } from "../durable-objects/topic/topic-object";
export { AppSessionObject } from "../durable-objects/app/app-session-object";
export { LimiterObject } from "../durable-objects/limiter/limiter-object";
export { WebhookObject } from "../durable-objects/webhook/webhook-object";

const app = createApp();

export default {
  fetch: app.fetch,
  // The cron trigger (wrangler.toml): pushes to objects that failed past their retries are made again.
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(retryParkedPushes(env).then(() => undefined));
  },
} satisfies ExportedHandler<import("../durable-objects/env").Env>;
