/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { Schemas1 } from "./schemas-1";
import type { Schemas2 } from "./schemas-2";

export interface components {
    schemas: Schemas;
    responses: never;
    parameters: never;
    requestBodies: never;
    headers: never;
    pathItems: never;
}
interface Schemas extends Schemas1, Schemas2 {}
