/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { operations } from "./index";

export interface HealthPaths {
    "/health": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Liveness: the Worker answers; and any vars set to values it does not use as written */
        get: operations["health"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface HealthOperations {
    health: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Up */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        /** @enum {string} */
                        status: "ok";
                        version: string;
                        /**
                         * @description Each var set to a value the hub cannot use, and what it uses instead (e.g. the default); empty when none
                         * @example [
                         *       "SHADOW_MAX_BYTES is \"64KB\", not a whole number above 0: using the default, 65536"
                         *     ]
                         */
                        config_problems: string[];
                    };
                };
            };
        };
    };
}
