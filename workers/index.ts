/** The Worker entry point: the HTTP app, the cron trigger, and the Durable Object classes wrangler binds. */
import { createApp } from "./app";
import { retryParkedPushes } from "./registry/push-retry";
import { varProblems } from "../durable-objects/vars";

export { DeviceObject } from "../durable-objects/device/device-object";
export { TopicObject } from "../durable-objects/topic/topic-object";
export { AppSessionObject } from "../durable-objects/app/app-session-object";
export { LimiterObject } from "../durable-objects/limiter/limiter-object";
export { WebhookObject } from "../durable-objects/webhook/webhook-object";

const app = createApp();
let varsChecked = false;

export default {
  fetch(request, env, ctx) {
    // Once per isolate: vars set to values the hub does not use as written go to the log (and /health).
    if (!varsChecked) {
      varsChecked = true;
      for (const problem of varProblems(env)) console.warn(`config: ${problem}`);
    }
    return app.fetch(request, env, ctx);
  },
  // The cron trigger (wrangler.toml): pushes to objects that failed past their retries are made again.
  scheduled(_controller, env, ctx) {
    ctx.waitUntil(retryParkedPushes(env).then(() => undefined));
  },
} satisfies ExportedHandler<import("../durable-objects/env").Env>;
