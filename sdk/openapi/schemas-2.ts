/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { components } from "./components";

export interface Schemas2 {
    WebhookDelivery: {
        /** @description The event id, sent as webhook-id (the same on every attempt) */
        id: string;
        /** @enum {string} */
        type: "telemetry" | "shadow" | "presence" | "command.result" | "rule";
        device_id: string;
        /** @enum {string} */
        status: "pending" | "delivered" | "failed";
        attempts: number;
        /** @description HTTP status of the last attempt (null: no answer) */
        last_status: number | null;
        last_error: string | null;
        next_attempt_at: string | null;
        delivered_at: string | null;
        created_at: string;
    };
    FleetTelemetry: {
        key: string;
        bucket_ms: number;
        devices: {
            device_id: string;
            items: components["schemas"]["TelemetrySeriesBucket"][];
        }[];
        combined?: components["schemas"]["TelemetrySeriesBucket"][];
    };
    TelemetrySeriesBucket: {
        ts: number;
        avg?: number | null;
        min?: number | null;
        max?: number | null;
        sum?: number | null;
        count?: number | null;
        first?: unknown;
        last?: unknown;
    };
    /** @description RFC 6749 §5.2 error */
    OAuthError: {
        error: string;
        error_description?: string;
    };
}
