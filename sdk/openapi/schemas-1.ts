/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { components } from "./components";

export interface Schemas1 {
    /** @description `{data, ts?}` or an array of them; `ts` in epoch milliseconds (default: now) */
    TelemetryIn: {
        /** @description at least one field */
        data: {
            [key: string]: unknown;
        };
        /** @description epoch milliseconds, 2000-01-01 … now + 1 day, within retention (default: now) */
        ts?: number;
    } | {
        /** @description at least one field */
        data: {
            [key: string]: unknown;
        };
        /** @description epoch milliseconds, 2000-01-01 … now + 1 day, within retention (default: now) */
        ts?: number;
    }[];
    CreatedDevice: {
        device: components["schemas"]["Device"];
        credential: {
            id: string;
            token: string;
        };
    };
    Device: {
        id: string;
        name: string | null;
        attributes: {
            [key: string]: unknown;
        };
        tags: string[];
        enabled: boolean;
        created_at: string;
        updated_at: string;
        status?: {
            [key: string]: unknown;
        };
    };
    Problem: {
        type: string;
        title: string;
        status: number;
        detail?: string;
        instance?: string;
    };
    CreateDevice: {
        id?: string;
        name?: string | null;
        attributes?: {
            [key: string]: unknown;
        };
        tags?: string[];
        enabled?: boolean;
    };
    DevicePage: {
        items: components["schemas"]["Device"][];
        next_cursor: string | null;
    };
    PatchDevice: {
        name?: string | null;
        attributes?: {
            [key: string]: unknown;
        };
        tags?: string[];
        enabled?: boolean;
    };
    NewCredential: components["schemas"]["Credential"] & {
        token: string;
    };
    Credential: {
        id: string;
        device_id: string;
        created_at: string;
        expires_at: string | null;
        revoked_at: string | null;
        /** @enum {string} */
        status: "active" | "expiring" | "expired" | "revoked";
    };
    CredentialPage: {
        items: components["schemas"]["Credential"][];
        next_cursor: string | null;
    };
    CertificateIdentity: {
        fingerprint: string;
        device_id: string;
        name: string | null;
        created_at: string;
    };
    Group: {
        name: string;
        description: string | null;
        created_at: string;
        updated_at: string;
    };
    GroupPage: {
        items: components["schemas"]["Group"][];
        next_cursor: string | null;
    };
    MemberPage: {
        items: {
            device_id: string;
        }[];
        next_cursor: string | null;
    };
    ApiKey: {
        id: string;
        name: string;
        scopes: string[];
        created_at: string | null;
        revoked_at: string | null;
    };
    ApiKeyPage: {
        items: components["schemas"]["ApiKey"][];
        next_cursor: string | null;
    };
    OAuthClient: {
        client_id: string;
        name: string;
        scopes: string[];
        created_at: string | null;
        revoked_at: string | null;
    };
    OAuthClientPage: {
        items: components["schemas"]["OAuthClient"][];
        next_cursor: string | null;
    };
    /** @description AWS IoT shadow document */
    ShadowDocument: {
        [key: string]: unknown;
    };
    ShadowUpdate: {
        /** @description `{desired?, reported?}`; `null` deletes a field, a section, or (as `state: null`) both sections */
        state?: {
            /** @description What the app wants; merged into desired */
            desired?: {
                [key: string]: unknown;
            } | null;
            /** @description What the device reports; merged into reported */
            reported?: {
                [key: string]: unknown;
            } | null;
        } | null;
        version?: number;
        clientToken?: string;
    };
    TelemetryPage: {
        items: components["schemas"]["TelemetrySample"][];
        next_cursor: string | null;
    };
    TelemetrySample: {
        ts: number;
        data: {
            [key: string]: unknown;
        };
        /** @description SenML unit (u or bu) per key of data */
        units?: {
            [key: string]: string;
        };
        /** @description SenML sum (s) per key whose record had one */
        sums?: {
            [key: string]: number;
        };
        /** @description Keys whose value is not a plain value */
        types?: {
            [key: string]: "data" | "sum";
        };
    };
    /** @description With bucket=: buckets with samples, by key then time */
    TelemetryBuckets: {
        items: components["schemas"]["TelemetryBucket"][];
    };
    TelemetryBucket: {
        /** @description Bucket start, epoch ms */
        ts: number;
        key: string;
        avg?: number | null;
        min?: number | null;
        max?: number | null;
        sum?: number | null;
        count?: number | null;
        first?: unknown;
        last?: unknown;
    };
    TelemetryLatest: {
        ts: number;
        value?: unknown;
        unit?: string;
        sum?: number;
        /**
         * @description "data": a SenML data value (vd, bytes as base64url text); "sum": the record had only a sum (s)
         * @enum {string}
         */
        type?: "data" | "sum";
    };
    Channel: {
        id: string;
        name: string | null;
        metadata: {
            [key: string]: unknown;
        };
        created_at: string;
        updated_at: string;
    };
    ChannelPage: {
        items: components["schemas"]["Channel"][];
        next_cursor: string | null;
    };
    ChannelMemberPage: {
        items: {
            device_id: string;
        }[];
        next_cursor: string | null;
    };
    Policy: {
        id: string;
        name: string | null;
        statements: components["schemas"]["PolicyStatement"][];
        created_at: string;
        updated_at: string;
    };
    PolicyStatement: {
        /** @enum {string} */
        effect: "allow" | "deny";
        actions: ("publish" | "subscribe" | "receive")[];
        /** @description Topic filters with `${deviceId}`, `${clientId}`, `${tag:<key>}`, `${attr:<key>}`, `${group}`, `${channel}` */
        topics: string[];
    };
    PolicyPage: {
        items: components["schemas"]["Policy"][];
        next_cursor: string | null;
    };
    AttachmentPage: {
        items: components["schemas"]["PolicyAttachment"][];
        next_cursor: string | null;
    };
    PolicyAttachment: {
        /** @enum {string} */
        kind: "device" | "group" | "api-key" | "oauth-client" | "anonymous";
        id: string;
    };
    PolicyDecision: {
        allowed: boolean;
        /** @description The statement that decides, with its index in the policy; null when none matches (denied by default) */
        statement: {
            index: number;
            /** @enum {string} */
            effect: "allow" | "deny";
            actions: ("publish" | "subscribe" | "receive")[];
            /** @description Topic filters with `${deviceId}`, `${clientId}`, `${tag:<key>}`, `${attr:<key>}`, `${group}`, `${channel}` */
            topics: string[];
        } | null;
        variables: {
            [key: string]: unknown;
        };
    };
    Command: {
        id: string;
        device_id: string;
        name: string;
        payload?: unknown;
        /** @enum {string} */
        status: "queued" | "delivered" | "completed" | "rejected" | "failed" | "expired";
        created_at: string;
        expires_at: string;
        delivered_at: string | null;
        completed_at: string | null;
        result?: unknown;
        protocol: string | null;
    };
    MethodAnswer: {
        status: number;
        payload?: unknown;
    };
    Rule: {
        id: string;
        name: string;
        sql: string;
        scope: components["schemas"]["RuleScope"];
        actions: components["schemas"]["RuleAction"][];
        enabled: boolean;
        version: number;
        created_at: string;
        updated_at: string;
    };
    RuleScope: {
        /** @enum {string} */
        kind: "all";
    } | {
        /** @enum {string} */
        kind: "group";
        group: string;
    } | {
        /** @enum {string} */
        kind: "tag";
        tag: string;
    } | {
        /** @enum {string} */
        kind: "device";
        deviceId: string;
    };
    RuleAction: {
        /** @enum {string} */
        type: "webhook";
        webhookId: string;
    } | {
        /** @enum {string} */
        type: "command";
        deviceId?: string;
        name: string;
        payload?: unknown;
    } | {
        /** @enum {string} */
        type: "shadow.desired";
        deviceId?: string;
        shadow?: string;
        state: {
            [key: string]: unknown;
        };
    } | {
        /** @enum {string} */
        type: "publish";
        channel: string;
        subtopic?: string;
    };
    RulePage: {
        items: components["schemas"]["Rule"][];
        next_cursor: string | null;
    };
    RuleTestResult: {
        fired: boolean;
        outputs: {
            [key: string]: unknown;
        }[];
        wakeAt: number | null;
    };
    WebhookCreated: components["schemas"]["Webhook"] & {
        /** @description whsec_…: shown once */
        secret: string;
    };
    /** @description Only events of one device, of a group's members, or of the devices with a tag; null: every device */
    WebhookFilter: {
        deviceId: string;
    } | {
        group: string;
    } | {
        tag: string;
    } | null;
    Webhook: {
        id: string;
        url: string;
        description: string | null;
        events: ("telemetry" | "shadow" | "presence" | "command.result" | "rule")[];
        filter: components["schemas"]["WebhookFilter"];
        enabled: boolean;
        /** @description Why it is disabled: by PATCH, or after a day of failed deliveries */
        disabled_reason: string | null;
        created_at: string;
        updated_at: string;
    };
    WebhookPage: {
        items: components["schemas"]["Webhook"][];
        next_cursor: string | null;
    };
    WebhookWithState: components["schemas"]["Webhook"] & {
        delivery: components["schemas"]["WebhookDeliveryState"];
    };
    WebhookDeliveryState: {
        /** @description Events in the outbox */
        pending: number;
        /** @description Oldest events dropped because the outbox held 10,000 */
        dropped: number;
        consecutive_failures: number;
        /** @description When the first failure of the current streak was (ISO 8601); null while delivering */
        failing_since: string | null;
    };
    WebhookSecret: {
        secret: string;
        /** @description When the replaced secret stops signing (now with grace_seconds 0) */
        previous_expires_at: string;
    };
    WebhookDeliveryPage: {
        items: components["schemas"]["WebhookDelivery"][];
        next_cursor: string | null;
    };
}
