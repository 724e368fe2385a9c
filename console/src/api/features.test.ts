/** Reading a hub's features from its OpenAPI document. */
import { describe, expect, it } from "vitest";
import { featuresOf } from "./features";

const doc = {
  paths: {
    "/v1/devices/{id}/commands": { post: { requestBody: { content: { "application/json": { schema: { $ref: "#/components/schemas/NewCommand" } } } } }, get: {} },
    "/v1/devices/{id}/telemetry": { get: { parameters: [{ name: "bucket", in: "query" }, { name: "id", in: "path" }] } },
    "/v1/webhooks": {
      post: {
        requestBody: {
          content: {
            "application/json": {
              schema: { allOf: [{ type: "object", properties: { events: { type: "array", items: { anyOf: [{ type: "string", enum: ["telemetry", "presence"] }] } } } }] },
            },
          },
        },
      },
    },
    "/v1/webhooks/{id}/secret/rotate": { post: {} },
  },
  components: { schemas: { NewCommand: { type: "object", properties: { name: { type: "string" }, kind: { enum: ["a", "b"] } } } } },
};

describe("featuresOf", () => {
  const f = featuresOf(doc);

  it("knows which operations exist", () => {
    expect(f.has("post", "/v1/devices/{id}/commands")).toBe(true);
    expect(f.has("DELETE", "/v1/devices/{id}/commands")).toBe(false);
    expect(f.has("post", "/v1/rules")).toBe(false);
  });

  it("knows query parameters, not path ones", () => {
    expect(f.hasParam("get", "/v1/devices/{id}/telemetry", "bucket")).toBe(true);
    expect(f.hasParam("get", "/v1/devices/{id}/telemetry", "id")).toBe(false);
  });

  it("finds a body field's enum through $ref, allOf, items and anyOf", () => {
    expect(f.bodyEnum("post", "/v1/webhooks", "events")).toEqual(["telemetry", "presence"]);
    expect(f.bodyEnum("post", "/v1/devices/{id}/commands", "kind")).toEqual(["a", "b"]);
    expect(f.bodyEnum("post", "/v1/devices/{id}/commands", "name")).toBeNull();
    expect(f.bodyEnum("post", "/v1/rules", "x")).toBeNull();
  });

  it("finds a path by pattern", () => {
    expect(f.find("post", /^\/v1\/webhooks\/\{[^}]+\}\/.*rotate/)).toBe("/v1/webhooks/{id}/secret/rotate");
    expect(f.find("get", /rotate/)).toBeNull();
  });

  it("assumes everything exists when the document could not be read", () => {
    expect(featuresOf({}).has("post", "/v1/rules")).toBe(true);
  });
});
