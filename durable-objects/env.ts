import type { DeviceObject } from "./device/device-object";
import type { TopicObject } from "./topic/topic-object";
import type { AppSessionObject } from "./app/app-session-object";
import type { WebhookObject } from "./webhook/webhook-object";

/**
 * The Worker's bindings, as declared in `wrangler.toml` (vars, D1, Durable Objects) plus the
 * secrets (`ADMIN_TOKEN`, `JWT_SECRET`, `GATEWAY_KEY`) that come from `.dev.vars` locally and
 * `wrangler secret put` in production.
 */
export interface Env {
  VERSION: string;
  MAX_BODY_BYTES: string;
  OAUTH_TOKEN_TTL: string;
  ADMIN_TOKEN?: string;
  /** Key that signs OAuth access tokens (at least 32 characters); without it no token is issued. */
  JWT_SECRET?: string;
  /**
   * The secret a gateway (`umbra gateway --gateway-key`) proves itself with, so the hub takes the
   * device addresses it forwards (workers/edge/client-address.ts); unset: no gateway is trusted.
   */
  GATEWAY_KEY?: string;
  /**
   * `"true"`: a client certificate Cloudflare verified (`cf.tlsClientAuth`, mTLS on the hostname)
   * authenticates its device. Off by default: locally any client can forge `cf`.
   */
  MTLS_CLIENT_AUTH?: string;
  /** Shards of each tenant's topic space (default 16; fixed for the life of a deployment). */
  TOPIC_SHARDS?: string;
  /** `"true"`: MQTT clients may connect without credentials to a sandbox of the open topic space. */
  MQTT_ANONYMOUS?: string;
  /** Seconds an MQTT socket may stay open before its CONNECT arrives (default 10). */
  MQTT_CONNECT_TIMEOUT_SECONDS?: string;
  /** Seconds a CoAP socket may take to send its CSM and authenticate (default 10). */
  COAP_PREAUTH_SECONDS?: string;
  /** Milliseconds one socket may deliver messages back to back before it counts as flooding (poll-window.ts). */
  SOCKET_FLOOD_MS?: string;
  /** Largest CoAP block sent unasked, a power of two 16–1024 (default 1024). */
  COAP_BLOCK_SIZE?: string;
  /** HTTP edge settings (optional vars, see wrangler.toml and the README): nesting limit of JSON bodies, */
  JSON_MAX_DEPTH?: string;
  /** comma-separated origins allowed by CORS, */
  CORS_ORIGINS?: string;
  /** the grace period of a rotated credential when the request names none, */
  CREDENTIAL_ROTATE_GRACE_SECONDS?: string;
  /** telemetry retention (also read by the device object), */
  TELEMETRY_MAX_AGE_DAYS?: string;
  /** and the rate limits (`<rate>/s` and burst) of device HTTP writes and of `/oauth/token`. */
  DEVICE_HTTP_RATE?: string;
  DEVICE_HTTP_BURST?: string;
  OAUTH_RATE?: string;
  OAUTH_BURST?: string;
  AUTH_FAILURE_RATE?: string;
  AUTH_FAILURE_BURST?: string;
  /** Token buckets for rate limits (workers/limits). */
  LIMITER: DurableObjectNamespace<import("./limiter/limiter-object").LimiterObject>;
  DB: D1Database;
  DEVICE: DurableObjectNamespace<DeviceObject>;
  TOPIC: DurableObjectNamespace<TopicObject>;
  APP_SESSION: DurableObjectNamespace<AppSessionObject>;
  /** One object per webhook: its outbox, retries, secrets and delivery log. */
  WEBHOOK: DurableObjectNamespace<WebhookObject>;
  /** `"true"` (local development only): webhooks may call loopback and private addresses. */
  WEBHOOK_ALLOW_PRIVATE?: string;
  /** Seconds before the first retry of a failed webhook delivery (default 5; decimals allowed). */
  WEBHOOK_RETRY_FIRST_SECONDS?: string;
  /** A webhook is disabled once its deliveries failed this long (default 86400) … */
  WEBHOOK_DISABLE_AFTER_SECONDS?: string;
  /** … over at least this many attempts in a row (default 20). */
  WEBHOOK_DISABLE_MIN_FAILURES?: string;
}
