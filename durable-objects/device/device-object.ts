/**
 * DeviceObject: one per device (`idFromName(deviceId)`), SQLite-backed. All state of a device
 * lives here and changes one event at a time.
 */
import { DurableObject } from "cloudflare:workers";

/** Connection status of a device, as shown in `GET /v1/devices/:id`. */
export interface DeviceStatus {
  connected: boolean;
  protocol: string | null;
  remote_address: string | null;
  connected_at: string | null;
  last_seen: string | null;
}

export class DeviceObject extends DurableObject {
  /** Liveness probe: answers with the object's id. */
  async health(): Promise<{ ok: true; id: string }> {
    return { ok: true, id: this.ctx.id.toString() };
  }

  /** Connection status. */
  async status(): Promise<DeviceStatus> {
    return { connected: false, protocol: null, remote_address: null, connected_at: null, last_seen: null };
  }

  /** Closes every socket of the device (it was disabled). */
  async disconnect(reason: string): Promise<void> {
    for (const ws of this.ctx.getWebSockets()) ws.close(4403, reason);
  }

  /** Erases everything the device had: called when the device is deleted from the registry. */
  async wipe(): Promise<void> {
    await this.disconnect("device deleted");
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }
}
