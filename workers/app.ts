/** The Worker's HTTP app: routes per resource, one error renderer, the OpenAPI document. */
import { OpenAPIHono } from "@hono/zod-openapi";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "./app-env";
import { ApiError, problemResponse } from "./errors";
import { devices } from "./routes/devices";
import { credentials } from "./routes/credentials";
import { groups } from "./routes/groups";
import { appCredentials } from "./routes/app-credentials";
import { oauth } from "./routes/oauth";
import { shadows } from "./routes/shadows";
import { telemetry } from "./routes/telemetry";
import { connect } from "./routes/connect";
import { events } from "./routes/events";
import { coap } from "./routes/coap";
import { channelRoutes } from "./routes/channels";
import { mqtt } from "./routes/mqtt";
import { requestBody } from "./edge/request-body";
import { resolveClientAddress } from "./edge/client-address";
import { stripInternalHeaders } from "./edge/internal-headers";
import { retryParked } from "./edge/retry-parked";
import { outliveHangup } from "./edge/outlive-hangup";
import { cors } from "./edge/cors";
import { allowedMethods } from "./edge/methods";
import { documentPlainRoutes } from "./routes/openapi-docs";
import { logText, logError } from "../protocols/log-text";
import { policyRoutes } from "./routes/policies";
import { commandRoutes } from "./routes/commands";
import { ruleRoutes } from "./routes/rules";
import { webhookRoutes } from "./routes/webhooks";
import { telemetryHistory } from "./routes/telemetry-history";
import { varProblems } from "../durable-objects/vars";

/** Builds the app (a function so tests can build a fresh one). */
export function createApp() {
  // strict: false: /v1/devices/ is /v1/devices (before, it was a 405 whose Allow listed the method refused).
  const app = new OpenAPIHono<AppEnv>({ strict: false });

  // Edge order: forged internal headers go first, CORS wraps every answer, bodies are read once,
  // and a change, once its body is in, runs to its end even if its client hangs up.
  app.use("*", stripInternalHeaders());
  app.use("*", cors());
  app.use("*", resolveClientAddress());
  app.use("*", requestBody());
  app.use("*", outliveHangup());
  app.use("*", retryParked());

  app.get("/health", (c) => c.json({ status: "ok", version: c.env.VERSION, config_problems: varProblems(c.env) }));
  for (const routes of [devices, credentials, groups, appCredentials, oauth, shadows, telemetry, connect, events, coap, channelRoutes, mqtt, policyRoutes, commandRoutes, ruleRoutes, webhookRoutes, telemetryHistory]) {
    app.route("/", routes);
  }

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "ADMIN_TOKEN, an API key, an OAuth 2.0 access token, or (on a device's own resources) a device token",
  });
  documentPlainRoutes(app);
  app.doc31("/openapi.json", (c) => ({
    openapi: "3.1.0",
    info: { title: "Umbra", version: c.env.VERSION, description: "IoT hub on Cloudflare Workers" },
    servers: [{ url: new URL(c.req.url).origin, description: "This hub" }],
  }));

  let methodsOf: ((path: string) => string[]) | undefined;
  app.notFound((c) => {
    // Known path, other method: 405 with Allow (OPTIONS: 204 with Allow), for every route alike.
    const allow = (methodsOf ??= allowedMethods(app.routes))(c.req.path);
    if (allow.length === 0) return problemResponse(new ApiError("not-found", `No route for ${c.req.method} ${c.req.path}`), c.req.path);
    if (c.req.method === "OPTIONS") return new Response(null, { status: 204, headers: { allow: allow.join(", ") } });
    return problemResponse(new ApiError("method-not-allowed", `${c.req.method} is not allowed on ${c.req.path}; use ${allow.join(", ")}`, { allow }, { allow: allow.join(", ") }), c.req.path);
  });
  app.onError((err, c) => {
    if (err instanceof ApiError) return problemResponse(err, c.req.path);
    if (err instanceof HTTPException) {
      // Hono's validators throw 400 HTTPExceptions for bodies that are not JSON.
      const slug = err.status === 400 ? "malformed-json" : err.status === 413 ? "payload-too-large" : err.status === 401 ? "unauthorized" : "invalid-request";
      return problemResponse(new ApiError(slug, err.message), c.req.path);
    }
    console.error(`unhandled error on ${logText(c.req.method)} ${logText(c.req.path)}: ${logError(err)}`);
    return problemResponse(new ApiError("internal", "Something went wrong on our side"), c.req.path);
  });
  return app;
}
