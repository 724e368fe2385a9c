/** The Worker entry point: the HTTP app, and the Durable Object classes wrangler binds. */
import { createApp } from "./app";

export { DeviceObject } from "../durable-objects/device/device-object";
export { TopicObject } from "../durable-objects/topic/topic-object";
export { AppSessionObject } from "../durable-objects/app/app-session-object";
export { LimiterObject } from "../durable-objects/limiter/limiter-object";
export { WebhookObject } from "../durable-objects/webhook/webhook-object";

const app = createApp();

export default {
  fetch: app.fetch,
} satisfies ExportedHandler<import("../durable-objects/env").Env>;
