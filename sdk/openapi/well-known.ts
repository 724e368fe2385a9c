/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { components, operations } from "./index";

export interface WellKnownPaths {
    "/.well-known/coap": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** CoAP over WebSocket (RFC 8323); the first request's `Uri-Query: auth=<device token>` binds the connection */
        get: operations["connectCoap"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface WellKnownOperations {
    connectCoap: {
        parameters: {
            query?: never;
            header: {
                /** @description WebSocket upgrade (RFC 6455) */
                upgrade: "websocket";
                /** @description Offered subprotocols: `coap` */
                "sec-websocket-protocol": string;
                /** @description A gateway's proof that it holds the hub's GATEWAY_KEY; with it, `forwarded` names the device's address */
                "umbra-gateway-key"?: string;
                /** @description RFC 7239 `for=<device address>`, believed only with a valid `umbra-gateway-key` */
                forwarded?: string;
            };
            path?: never;
            cookie?: never;
        };
        requestBody?: never;
        responses: {
            /** @description Switching Protocols: CoAP messages (RFC 8323 framing) */
            101: {
                headers: {
                    /** @description The subprotocol chosen */
                    "Sec-WebSocket-Protocol"?: "coap";
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description The "coap" subprotocol was not offered, or a gateway named no address in Forwarded */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description The gateway key is not this hub's (counted as a failed sign-in) */
            401: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Not a WebSocket upgrade */
            426: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Too many failed authentications from this address */
            429: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description Any other refusal, as problem+json */
            default: {
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
