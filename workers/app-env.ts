import type { Env } from "../durable-objects/env";
import type { Principal } from "./auth/principal";

/** Hono's environment for every route: the bindings and the authenticated caller. */
export interface AppEnv {
  Bindings: Env;
  Variables: { principal: Principal };
}
