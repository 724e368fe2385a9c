import type { Env } from "../durable-objects/env";
import type { Principal } from "./auth/principal";

/** Hono's environment for every route: the bindings and the authenticated caller. */
export interface AppEnv {
  Bindings: Env;
  /** `clientAddress`: set for a request from a gateway that holds the key (workers/edge/client-address.ts). */
  Variables: { principal: Principal; clientAddress?: string };
}
