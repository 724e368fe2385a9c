/** The README walkthrough, against the real hub: admin token → device → API key → OAuth token. */
import { describe, expect, it } from "vitest";
import { api, apiJson, hubUrl } from "./client";

describe("README walkthrough", () => {
  it("health answers without a credential", async () => {
    const h = await apiJson<{ status: string; version: string; config_problems: string[] }>("GET", "/health", 200, { token: null });
    expect(h.status).toBe("ok");
    // wrangler.toml's vars and the tests' own are all used as written
    expect(h.config_problems).toEqual([]);
    expect(h.version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("admin creates a device, an API key and an OAuth client; the OAuth token works", async () => {
    const created = await apiJson<{ device: { id: string }; credential: { token: string } }>("POST", "/v1/devices", 201, {
      body: { id: "walk-1", name: "Kitchen lamp", tags: ["light"], attributes: { room: "kitchen" } },
    });
    expect(created.device.id).toBe("walk-1");
    const key = await apiJson<{ key: string }>("POST", "/v1/api-keys", 201, { body: { name: "dashboard", scopes: ["devices:read"] } });
    const list = await apiJson<{ items: { id: string }[] }>("GET", "/v1/devices?tag=light", 200, { token: key.key });
    expect(list.items.map((d) => d.id)).toContain("walk-1");

    const client = await apiJson<{ client_id: string; client_secret: string }>("POST", "/v1/oauth-clients", 201, {
      body: { name: "backend", scopes: ["devices:read", "devices:write"] },
    });
    const tokenRes = await fetch(`${hubUrl()}/oauth/token`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", authorization: `Basic ${btoa(`${client.client_id}:${client.client_secret}`)}` },
      body: "grant_type=client_credentials",
    });
    expect(tokenRes.status).toBe(200);
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const got = await apiJson<{ name: string }>("GET", "/v1/devices/walk-1", 200, { token: access_token });
    expect(got.name).toBe("Kitchen lamp");
    expect((await api("GET", "/v1/devices/walk-1", { token: "wrong" })).status).toBe(401);
  });

  it("serves the OpenAPI 3.1 document", async () => {
    const doc = await apiJson<{ openapi: string; paths: Record<string, unknown> }>("GET", "/openapi.json", 200, { token: null });
    expect(doc.openapi).toBe("3.1.0");
    expect(Object.keys(doc.paths)).toContain("/v1/devices/{id}");
  });
});
