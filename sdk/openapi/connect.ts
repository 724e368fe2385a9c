/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { components, operations } from "./index";

export interface ConnectPaths {
    "/v1/connect": {
        parameters: {
            query?: never;
            header?: never;
            path?: never;
            cookie?: never;
        };
        /** Device JSON protocol over WebSocket; the device token as Bearer, or (browsers) as the subprotocol `token.<token>` beside `umbra.v1` */
        get: operations["connectJson"];
        put?: never;
        post?: never;
        delete?: never;
        options?: never;
        head?: never;
        patch?: never;
        trace?: never;
    };
}
export interface ConnectOperations {
    connectJson: {
        parameters: {
            query?: never;
            header: {
                /** @description WebSocket upgrade (RFC 6455) */
                upgrade: "websocket";
                /** @description Offered subprotocols: `umbra.v1` (optional), `token.<device token>` */
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
            /** @description Switching Protocols: JSON messages with a `type` each */
            101: {
                headers: {
                    /** @description The subprotocol chosen */
                    "Sec-WebSocket-Protocol"?: "umbra.v1";
                    [name: string]: unknown;
                };
                content?: never;
            };
            /** @description A subprotocol other than umbra.v1 was offered */
            400: {
                headers: {
                    [name: string]: unknown;
                };
                content: {
                    "application/problem+json": components["schemas"]["Problem"];
                };
            };
            /** @description No device credential, or not a valid one */
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
