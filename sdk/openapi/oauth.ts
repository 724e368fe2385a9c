/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { components, operations } from "./index";

export interface OauthPaths {
    "/oauth/token": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        get?: never;
        put?: never;
        /** OAuth 2.0 client credentials grant (RFC 6749 §4.4): an access token for the client's scopes */
        post: operations["issueToken"];
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface OauthOperations {
    issueToken: {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        requestBody: {
            content: {
                "application/x-www-form-urlencoded": {
                    /** @enum {string} */
                    grant_type: "client_credentials";
                    /** @description Unless sent with HTTP Basic */
                    client_id?: string;
                    /** @description Unless sent with HTTP Basic */
                    client_secret?: string;
                    /** @description Space-separated; at most the client's scopes */
                    scope?: string;
                };
                "application/json": {
                    /** @enum {string} */
                    grant_type: "client_credentials";
                    /** @description Unless sent with HTTP Basic */
                    client_id?: string;
                    /** @description Unless sent with HTTP Basic */
                    client_secret?: string;
                    /** @description Space-separated; at most the client's scopes */
                    scope?: string;
                };
            };
        };
        responses: {
            /** @description An access token (a JWT, at most 24 h) */
            200: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": {
                        access_token: string;
                        /** @enum {string} */
                        token_type: "Bearer";
                        expires_in: number;
                        scope: string;
                    };
                };
            };
            /** @description invalid_request, unsupported_grant_type or invalid_scope */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OAuthError"];
                };
            };
            /** @description invalid_client */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OAuthError"];
                };
            };
            /** @description slow_down: too many requests from this address or for this client (Retry-After) */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/json": components["schemas"]["OAuthError"];
                };
            };
            /** @description No JWT_SECRET is set: the hub issues no tokens */
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
