/**
 * REST types of the Umbra hub, generated from its /openapi.json by openapi-typescript.
 * Do not edit: run `npm run sdk:generate` after changing a route (a test fails while this is stale).
 */
import type { Devices1Operations, Devices1Paths } from "./devices-1";
import type { Devices2Operations, Devices2Paths } from "./devices-2";
import type { DevicesCredentials1Operations, DevicesCredentials1Paths } from "./devices-credentials-1";
import type { DevicesCredentials2Operations, DevicesCredentials2Paths } from "./devices-credentials-2";
import type { DevicesCertificatesOperations, DevicesCertificatesPaths } from "./devices-certificates";
import type { Groups1Operations, Groups1Paths } from "./groups-1";
import type { Groups2Operations, Groups2Paths } from "./groups-2";
import type { GroupsDevicesOperations, GroupsDevicesPaths } from "./groups-devices";
import type { ApiKeysOperations, ApiKeysPaths } from "./api-keys";
import type { OauthClientsOperations, OauthClientsPaths } from "./oauth-clients";
import type { DevicesShadow1Operations, DevicesShadow1Paths } from "./devices-shadow-1";
import type { DevicesShadow2Operations, DevicesShadow2Paths } from "./devices-shadow-2";
import type { DevicesShadows1Operations, DevicesShadows1Paths } from "./devices-shadows-1";
import type { DevicesShadows2Operations, DevicesShadows2Paths } from "./devices-shadows-2";
import type { DevicesTelemetryOperations, DevicesTelemetryPaths } from "./devices-telemetry";
import type { DevicesEventsOperations, DevicesEventsPaths } from "./devices-events";
import type { Channels1Operations, Channels1Paths } from "./channels-1";
import type { Channels2Operations, Channels2Paths } from "./channels-2";
import type { ChannelsDevicesOperations, ChannelsDevicesPaths } from "./channels-devices";
import type { Policies1Operations, Policies1Paths } from "./policies-1";
import type { Policies2Operations, Policies2Paths } from "./policies-2";
import type { PoliciesAttachmentsOperations, PoliciesAttachmentsPaths } from "./policies-attachments";
import type { PoliciesSimulateOperations, PoliciesSimulatePaths } from "./policies-simulate";
import type { DevicesCommandsOperations, DevicesCommandsPaths } from "./devices-commands";
import type { DevicesMethodsOperations, DevicesMethodsPaths } from "./devices-methods";
import type { Rules1Operations, Rules1Paths } from "./rules-1";
import type { Rules2Operations, Rules2Paths } from "./rules-2";
import type { RulesTestOperations, RulesTestPaths } from "./rules-test";
import type { Webhooks1Operations, Webhooks1Paths } from "./webhooks-1";
import type { Webhooks2Operations, Webhooks2Paths } from "./webhooks-2";
import type { WebhooksRotateSecretOperations, WebhooksRotateSecretPaths } from "./webhooks-rotate-secret";
import type { WebhooksDeliveriesOperations, WebhooksDeliveriesPaths } from "./webhooks-deliveries";
import type { TelemetryOperations, TelemetryPaths } from "./telemetry";
import type { HealthOperations, HealthPaths } from "./health";
import type { OauthOperations, OauthPaths } from "./oauth";
import type { ConnectOperations, ConnectPaths } from "./connect";
import type { MqttOperations, MqttPaths } from "./mqtt";
import type { WellKnownOperations, WellKnownPaths } from "./well-known";

export type { components } from "./components";
export interface paths extends
    Devices1Paths,
    Devices2Paths,
    DevicesCredentials1Paths,
    DevicesCredentials2Paths,
    DevicesCertificatesPaths,
    Groups1Paths,
    Groups2Paths,
    GroupsDevicesPaths,
    ApiKeysPaths,
    OauthClientsPaths,
    DevicesShadow1Paths,
    DevicesShadow2Paths,
    DevicesShadows1Paths,
    DevicesShadows2Paths,
    DevicesTelemetryPaths,
    DevicesEventsPaths,
    Channels1Paths,
    Channels2Paths,
    ChannelsDevicesPaths,
    Policies1Paths,
    Policies2Paths,
    PoliciesAttachmentsPaths,
    PoliciesSimulatePaths,
    DevicesCommandsPaths,
    DevicesMethodsPaths,
    Rules1Paths,
    Rules2Paths,
    RulesTestPaths,
    Webhooks1Paths,
    Webhooks2Paths,
    WebhooksRotateSecretPaths,
    WebhooksDeliveriesPaths,
    TelemetryPaths,
    HealthPaths,
    OauthPaths,
    ConnectPaths,
    MqttPaths,
    WellKnownPaths {}
export interface operations extends
    Devices1Operations,
    Devices2Operations,
    DevicesCredentials1Operations,
    DevicesCredentials2Operations,
    DevicesCertificatesOperations,
    Groups1Operations,
    Groups2Operations,
    GroupsDevicesOperations,
    ApiKeysOperations,
    OauthClientsOperations,
    DevicesShadow1Operations,
    DevicesShadow2Operations,
    DevicesShadows1Operations,
    DevicesShadows2Operations,
    DevicesTelemetryOperations,
    DevicesEventsOperations,
    Channels1Operations,
    Channels2Operations,
    ChannelsDevicesOperations,
    Policies1Operations,
    Policies2Operations,
    PoliciesAttachmentsOperations,
    PoliciesSimulateOperations,
    DevicesCommandsOperations,
    DevicesMethodsOperations,
    Rules1Operations,
    Rules2Operations,
    RulesTestOperations,
    Webhooks1Operations,
    Webhooks2Operations,
    WebhooksRotateSecretOperations,
    WebhooksDeliveriesOperations,
    TelemetryOperations,
    HealthOperations,
    OauthOperations,
    ConnectOperations,
    MqttOperations,
    WellKnownOperations {}
export type webhooks = Record<string, never>;
export type $defs = Record<string, never>;
