/**
 * OpenAPI entries for the routes that are plain Hono handlers rather than `secured()` routes:
 * the health check, the OAuth token endpoint and the four WebSocket endpoints (each with its
 * 101 and subprotocol). Documentation only: the handlers live in their own files.
 */
import { z, type OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../app-env";
import { ProblemSchema } from "./schemas";

const problem = (description: string) => ({ description, content: { "application/problem+json": { schema: ProblemSchema } } });

/** The headers of a WebSocket upgrade offering `subprotocols`. */
function upgradeHeaders(subprotocols: string) {
  return z.object({
    upgrade: z.literal("websocket").openapi({ description: "WebSocket upgrade (RFC 6455)" }),
    "sec-websocket-protocol": z.string().openapi({ description: `Offered subprotocols: ${subprotocols}` }),
    "umbra-gateway-key": z.string().optional().openapi({ description: "A gateway's proof that it holds the hub's GATEWAY_KEY; with it, `forwarded` names the device's address" }),
    forwarded: z.string().optional().openapi({ description: "RFC 7239 `for=<device address>`, believed only with a valid `umbra-gateway-key`" }),
  });
}

/** Refusals of a gateway's upgrade (workers/edge/client-address.ts). */
const gatewayErrors = {
  401: problem("The gateway key is not this hub's (counted as a failed sign-in)"),
  429: problem("Too many failed authentications from this address"),
};

/**
 * The 101 answer naming the chosen subprotocol, and `default` for any other refusal (OpenAPI
 * has no 2xx for an upgrade; linters count `default` as the success description).
 */
function switching(description: string, subprotocols: string[]) {
  return {
    101: {
      description,
      headers: { "Sec-WebSocket-Protocol": { description: "The subprotocol chosen", schema: { type: "string" as const, enum: subprotocols } } },
    },
    default: problem("Any other refusal, as problem+json"),
  };
}

const OAuthError = z
  .object({ error: z.string(), error_description: z.string().optional() })
  .openapi("OAuthError", { description: "RFC 6749 §5.2 error" });
const TokenRequest = z.object({
  grant_type: z.literal("client_credentials"),
  client_id: z.string().optional().openapi({ description: "Unless sent with HTTP Basic" }),
  client_secret: z.string().optional().openapi({ description: "Unless sent with HTTP Basic" }),
  scope: z.string().optional().openapi({ description: "Space-separated; at most the client's scopes" }),
});

/** Registers the plain routes and the security schemes they use on the app's document. */
export function documentPlainRoutes(app: OpenAPIHono<AppEnv>): void {
  const r = app.openAPIRegistry;
  r.registerComponent("securitySchemes", "basic", { type: "http", scheme: "basic", description: "OAuth client id and secret (RFC 6749 §2.3.1)" });

  r.registerPath({
    operationId: "health",
    method: "get",
    path: "/health",
    summary: "Liveness: the Worker answers; and any vars set to values it does not use as written",
    security: [],
    responses: {
      200: {
        description: "Up",
        content: {
          "application/json": {
            schema: z.object({
              status: z.literal("ok"),
              version: z.string(),
              config_problems: z.array(z.string()).openapi({ description: "Each var set to a value the hub cannot use, and what it uses instead (e.g. the default); empty when none", example: ['SHADOW_MAX_BYTES is "64KB", not a whole number above 0: using the default, 65536'] }),
            }),
          },
        },
      },
    },
  });

  r.registerPath({
    operationId: "issueToken",
    method: "post",
    path: "/oauth/token",
    summary: "OAuth 2.0 client credentials grant (RFC 6749 §4.4): an access token for the client's scopes",
    security: [{ basic: [] }, {}],
    request: {
      body: {
        required: true,
        content: { "application/x-www-form-urlencoded": { schema: TokenRequest }, "application/json": { schema: TokenRequest } },
      },
    },
    responses: {
      200: {
        description: "An access token (a JWT, at most 24 h)",
        content: { "application/json": { schema: z.object({ access_token: z.string(), token_type: z.literal("Bearer"), expires_in: z.number().int(), scope: z.string() }) } },
      },
      400: { description: "invalid_request, unsupported_grant_type or invalid_scope", content: { "application/json": { schema: OAuthError } } },
      401: { description: "invalid_client", content: { "application/json": { schema: OAuthError } } },
      429: { description: "slow_down: too many requests from this address or for this client (Retry-After)", content: { "application/json": { schema: OAuthError } } },
      503: problem("No JWT_SECRET is set: the hub issues no tokens"),
    },
  });

  r.registerPath({
    operationId: "connectJson",
    method: "get",
    path: "/v1/connect",
    summary: "Device JSON protocol over WebSocket; the device token as Bearer, or (browsers) as the subprotocol `token.<token>` beside `umbra.v1`",
    security: [{ bearer: [] }, {}],
    request: { headers: upgradeHeaders("`umbra.v1` (optional), `token.<device token>`") },
    responses: {
      ...switching("Switching Protocols: JSON messages with a `type` each", ["umbra.v1"]),
      400: problem("A subprotocol other than umbra.v1 was offered"),
      401: problem("No device credential, or not a valid one"),
      426: problem("Not a WebSocket upgrade"),
      429: problem("Too many failed authentications from this address"),
    },
  });

  const mqttErrors = {
    400: problem('The "mqtt" subprotocol was not offered, or a gateway named no address in Forwarded'),
    426: problem("Not a WebSocket upgrade"),
    ...gatewayErrors,
  };
  r.registerPath({
    operationId: "connectMqtt",
    method: "get",
    path: "/mqtt",
    summary: "MQTT 3.1.1 / 5.0 over WebSocket for devices and apps; CONNECT authenticates (client id = device id, password = token)",
    security: [],
    request: { headers: upgradeHeaders("`mqtt` or `mqttv3.1`") },
    responses: { ...switching("Switching Protocols: MQTT packets in binary frames", ["mqtt", "mqttv3.1"]), ...mqttErrors },
  });
  r.registerPath({
    operationId: "connectMqttDevice",
    method: "get",
    path: "/mqtt/{deviceId}",
    summary: "MQTT over WebSocket for one device only (a CONNECT for another client id is refused); served like /mqtt, and every id gets the same answer until CONNECT authenticates",
    security: [],
    request: { params: z.object({ deviceId: z.string().openapi({ param: { name: "deviceId", in: "path" } }) }), headers: upgradeHeaders("`mqtt` or `mqttv3.1`") },
    responses: { ...switching("Switching Protocols: MQTT packets in binary frames", ["mqtt", "mqttv3.1"]), ...mqttErrors },
  });

  r.registerPath({
    operationId: "connectCoap",
    method: "get",
    path: "/.well-known/coap",
    summary: "CoAP over WebSocket (RFC 8323); the first request's `Uri-Query: auth=<device token>` binds the connection",
    security: [],
    request: { headers: upgradeHeaders("`coap`") },
    responses: { ...switching("Switching Protocols: CoAP messages (RFC 8323 framing)", ["coap"]), 400: problem('The "coap" subprotocol was not offered, or a gateway named no address in Forwarded'), 426: problem("Not a WebSocket upgrade"), ...gatewayErrors },
  });
}
