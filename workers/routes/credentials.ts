/** `/v1/devices/{id}/credentials` and `/v1/devices/{id}/certificates`: a device's identities. */
import { z } from "@hono/zod-openapi";
import { numberVar } from "../../durable-objects/vars";
import { router, secured } from "./openapi-route";
import { DeviceParams, PageQuery, jsonBody, jsonResponse, pageOf } from "./schemas";
import { getDevice } from "../registry/devices";
import { pushOrPark } from "../registry/parked-pushes";
import {
  addIdentity,
  credentialView,
  issueCredential,
  listCredentials,
  listIdentities,
  removeIdentity,
  revokeCredential,
  rotateCredential,
} from "../registry/credentials";

export const credentials = router();

const Credential = z
  .object({
    id: z.string(),
    device_id: z.string(),
    created_at: z.string(),
    expires_at: z.string().nullable(),
    revoked_at: z.string().nullable(),
    status: z.enum(["active", "expiring", "expired", "revoked"]),
  })
  .openapi("Credential");
const NewCredential = Credential.extend({ token: z.string() }).openapi("NewCredential");
const CredParams = DeviceParams.extend({ credId: z.string().openapi({ param: { name: "credId", in: "path" } }) });
const MAX_GRACE_SECONDS = 30 * 86400;
const Rotate = z.strictObject({ grace_seconds: z.number().int().min(0).max(MAX_GRACE_SECONDS).optional() });


credentials.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "issueCredential",
method: "post",
    path: "/v1/devices/{id}/credentials",
    summary: "Issue another token for a device (shown once)",
    request: { params: DeviceParams },
    responses: { 201: jsonResponse(NewCredential, "The new credential and its token") },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const cred = await issueCredential(c.env, device.id);
    return c.json({ ...credentialView(cred.row), token: cred.token }, 201);
  },
);

credentials.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listCredentials",
method: "get",
    path: "/v1/devices/{id}/credentials",
    summary: "List a device's credentials (metadata only), newest first",
    request: { params: DeviceParams, query: PageQuery },
    responses: { 200: jsonResponse(pageOf(Credential, "CredentialPage"), "Credentials") },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const { cursor, limit } = c.req.valid("query");
    return c.json(await listCredentials(c.env, device.id, cursor, limit), 200);
  },
);

credentials.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "rotateCredential",
method: "post",
    path: "/v1/devices/{id}/credentials/{credId}/rotate",
    summary: "Replace a credential; the old one stays valid for `grace_seconds` (default CREDENTIAL_ROTATE_GRACE_SECONDS, 60 s; 0 ends it now)",
    request: { params: CredParams, body: { content: { "application/json": { schema: Rotate } }, required: false } },
    responses: { 201: jsonResponse(z.object({ credential: NewCredential, previous: Credential }), "The new credential"), 409: { description: "The credential is revoked" } },
  }),
  async (c) => {
    const { id, credId } = c.req.valid("param");
    // The body is optional: with none, the old credential gets the default grace, so devices
    // still using it have time to pick up the new one.
    const body: { grace_seconds?: number } = c.req.valid("json") ?? {};
    const { fresh, old } = await rotateCredential(c.env, id, credId, body.grace_seconds ?? numberVar(c.env, "CREDENTIAL_ROTATE_GRACE_SECONDS"));
    // Live connections opened with the old token end when its grace runs out.
    await pushOrPark(c.env, [{ kind: "credential-revoked", id, credential: credId, at: old.expires_at === null ? null : Date.parse(old.expires_at) }]);
    return c.json({ credential: { ...credentialView(fresh.row), token: fresh.token }, previous: old }, 201);
  },
);

credentials.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "revokeCredential",
method: "delete",
    path: "/v1/devices/{id}/credentials/{credId}",
    summary: "Revoke a credential at once",
    request: { params: CredParams },
    responses: { 200: jsonResponse(Credential, "The revoked credential") },
  }),
  async (c) => {
    const { id, credId } = c.req.valid("param");
    const revoked = await revokeCredential(c.env, id, credId);
    await pushOrPark(c.env, [{ kind: "credential-revoked", id, credential: credId, at: null }]);
    return c.json(revoked, 200);
  },
);

const Identity = z
  .object({ fingerprint: z.string(), device_id: z.string(), name: z.string().nullable(), created_at: z.string() })
  .openapi("CertificateIdentity");
const NewIdentity = z.strictObject({
  fingerprint: z.string().openapi({ description: "SHA-256 of the DER certificate, hex (colons allowed)" }),
  name: z.string().max(256).nullable().optional(),
});
const IdentityParams = DeviceParams.extend({ fingerprint: z.string().openapi({ param: { name: "fingerprint", in: "path" } }) });

credentials.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "addCertificate",
method: "post",
    path: "/v1/devices/{id}/certificates",
    summary: "Bind an X.509 client certificate (by fingerprint) to a device, for Cloudflare mTLS",
    request: { params: DeviceParams, ...jsonBody(NewIdentity) },
    responses: { 201: jsonResponse(Identity, "Bound"), 409: { description: "The certificate is registered already" } },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    const { fingerprint, name } = c.req.valid("json");
    return c.json(await addIdentity(c.env, device.id, fingerprint, name ?? null), 201);
  },
);

credentials.openapi(
  secured({ scope: "devices:read" }, {
    operationId: "listCertificates",
method: "get",
    path: "/v1/devices/{id}/certificates",
    summary: "List a device's certificate identities",
    request: { params: DeviceParams },
    responses: { 200: jsonResponse(z.object({ items: z.array(Identity), next_cursor: z.null() }), "Identities") },
  }),
  async (c) => {
    const device = await getDevice(c.env, c.req.valid("param").id);
    return c.json({ items: await listIdentities(c.env, device.id), next_cursor: null }, 200);
  },
);

credentials.openapi(
  secured({ scope: "devices:write" }, {
    operationId: "removeCertificate",
method: "delete",
    path: "/v1/devices/{id}/certificates/{fingerprint}",
    summary: "Unbind a certificate",
    request: { params: IdentityParams },
    responses: { 204: { description: "Removed" } },
  }),
  async (c) => {
    const { id, fingerprint } = c.req.valid("param");
    await removeIdentity(c.env, id, fingerprint);
    await pushOrPark(c.env, [{ kind: "credential-revoked", id, credential: `x509:${fingerprint.replace(/:/g, "").toLowerCase()}`, at: null }]);
    return c.body(null, 204);
  },
);
