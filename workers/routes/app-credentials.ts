/** `/v1/api-keys` and `/v1/oauth-clients`: credentials for apps (admin only). */
import { z } from "@hono/zod-openapi";
import { router, secured } from "./openapi-route";
import { PageQuery, ScopeSchema, jsonBody, jsonResponse, pageOf } from "./schemas";
import { endAppSessions } from "../registry/app-sessions";
import { createApiKey, createOAuthClient, listApiKeys, listOAuthClients, revokeApiKey, revokeOAuthClient } from "../registry/app-credentials";

export const appCredentials = router();

const NewAppCredential = z.strictObject({ name: z.string().min(1).max(256), scopes: z.array(ScopeSchema).min(1) });
const ApiKey = z
  .object({ id: z.string(), name: z.string(), scopes: z.array(z.string()), created_at: z.string().nullable(), revoked_at: z.string().nullable() })
  .openapi("ApiKey");
const OAuthClient = z
  .object({ client_id: z.string(), name: z.string(), scopes: z.array(z.string()), created_at: z.string().nullable(), revoked_at: z.string().nullable() })
  .openapi("OAuthClient");
const IdParams = z.object({ id: z.string().openapi({ param: { name: "id", in: "path" } }) });

appCredentials.openapi(
  secured({ scope: "admin" }, {
    operationId: "createApiKey",
method: "post",
    path: "/v1/api-keys",
    summary: "Create an API key (the key is shown once)",
    request: jsonBody(NewAppCredential),
    responses: { 201: jsonResponse(ApiKey.extend({ key: z.string() }), "Created") },
  }),
  async (c) => {
    const { name, scopes } = c.req.valid("json");
    return c.json(await createApiKey(c.env, name, scopes), 201);
  },
);

appCredentials.openapi(
  secured({ scope: "admin" }, {
    operationId: "listApiKeys",
method: "get",
    path: "/v1/api-keys",
    summary: "List API keys",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(pageOf(ApiKey, "ApiKeyPage"), "A page of keys") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listApiKeys(c.env, cursor, limit), 200);
  },
);

appCredentials.openapi(
  secured({ scope: "admin" }, {
    operationId: "revokeApiKey",
method: "delete",
    path: "/v1/api-keys/{id}",
    summary: "Revoke an API key",
    request: { params: IdParams },
    responses: { 204: { description: "Revoked" } },
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    await revokeApiKey(c.env, id);
    await endAppSessions(c.env, `key:${id}`, "revoked");
    return c.body(null, 204);
  },
);

appCredentials.openapi(
  secured({ scope: "admin" }, {
    operationId: "createOAuthClient",
method: "post",
    path: "/v1/oauth-clients",
    summary: "Register an OAuth 2.0 client for the client credentials grant (the secret is shown once)",
    request: jsonBody(NewAppCredential),
    responses: { 201: jsonResponse(OAuthClient.extend({ client_secret: z.string() }), "Created") },
  }),
  async (c) => {
    const { name, scopes } = c.req.valid("json");
    return c.json(await createOAuthClient(c.env, name, scopes), 201);
  },
);

appCredentials.openapi(
  secured({ scope: "admin" }, {
    operationId: "listOAuthClients",
method: "get",
    path: "/v1/oauth-clients",
    summary: "List OAuth clients",
    request: { query: PageQuery },
    responses: { 200: jsonResponse(pageOf(OAuthClient, "OAuthClientPage"), "A page of clients") },
  }),
  async (c) => {
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listOAuthClients(c.env, cursor, limit), 200);
  },
);

appCredentials.openapi(
  secured({ scope: "admin" }, {
    operationId: "revokeOAuthClient",
method: "delete",
    path: "/v1/oauth-clients/{id}",
    summary: "Revoke an OAuth client and every token it holds",
    request: { params: IdParams },
    responses: { 204: { description: "Revoked" } },
  }),
  async (c) => {
    const id = c.req.valid("param").id;
    await revokeOAuthClient(c.env, id);
    await endAppSessions(c.env, `client:${id}`, "revoked");
    return c.body(null, 204);
  },
);
