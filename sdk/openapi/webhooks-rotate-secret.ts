/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { components, operations } from "./index";

export interface WebhooksRotateSecretPaths {
    "/v1/webhooks/{id}/rotate-secret": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** A new signing secret; the one it replaces keeps signing beside it for `grace_seconds` (default 86400 = 24 h; 0 ends it now), and any earlier replaced secret ends now: at most two sign */
        post: operations["rotateWebhookSecret"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface WebhooksRotateSecretOperations {
    rotateWebhookSecret: {
        parameters: {
            query?: never;
            header?: never;
            path: {
                id: string;
            };
            cookie?: never;
        };
        requestBody?: {
            content: {
                "application/json": {
                    /** @description How long the replaced secret keeps signing (default 86400; 0 ends it now, for a leaked secret) */
                    grace_seconds?: number;
                };
            };
        };
        responses: {
            /** @description The new secret, shown once */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["WebhookSecret"];
                };
            };
            /** @description Invalid request */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Missing or invalid credential */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Credential lacks the scope */
            403: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not found */
            404: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Body over MAX_BODY_BYTES */
            413: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Content-Type not one of the declared request media types */
            415: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many requests (Retry-After): failed authentications from this address, or a rate limit */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Internal error (application/problem+json) */
            500: {
                headers: {
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A change is stored but some objects it concerns could not be told yet (retried automatically: parked pushes); or the hub lacks what this needs */
            503: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
        };
    };
}
