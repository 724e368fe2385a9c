/**
 * The device's MQTT access (policy and variables) as the registry last said: passed by the edge
 * at CONNECT (`x-umbra-access`) and pushed on every change; the default device policy until then.
 */
import { DEFAULT_DEVICE_POLICY, type SessionContext } from "../../protocols/mqtt";
import type { DeviceStore } from "./store";

const KEY = "mqtt_access";

export class DeviceAccess {
  private cache: SessionContext | null = null;

  constructor(
    private readonly store: DeviceStore,
    private readonly deviceId: () => string,
  ) {}

  get(): SessionContext {
    this.cache ??= this.store.getMeta<SessionContext>(KEY) ?? { policy: DEFAULT_DEVICE_POLICY, variables: { deviceId: this.deviceId(), clientId: this.deviceId() } };
    return this.cache;
  }

  set(access: SessionContext): void {
    this.cache = access;
    this.store.setMeta(KEY, access);
  }

  /** Takes the access the edge passed on an upgrade, if any. */
  fromHeader(header: string | null): void {
    if (!header) return;
    try {
      const v = JSON.parse(header) as SessionContext;
      if (Array.isArray(v.policy) && typeof v.variables === "object" && v.variables !== null) this.set(v);
    } catch {
      // not the Worker's: ignored
    }
  }
}
