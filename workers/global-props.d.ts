// Tells workers-types what the main module exports and what `env` holds, so `exports.default`
// and `env` from "cloudflare:workers" are typed (tests use both).
declare namespace Cloudflare {
  interface GlobalProps {
    mainModule: typeof import("./index");
    durableNamespaces: "DeviceObject" | "TopicObject" | "AppSessionObject";
  }
  type UmbraEnv = import("../durable-objects/env").Env;
  interface Env extends UmbraEnv {}
}
