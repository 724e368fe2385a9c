/**
 * Messages a session publishes on devices' topics (an app's command to a device, one device's
 * message to another): one call per target device per batch (GroupCommit), through the device
 * session's kept stub, so calls arrive in order. A marked message (a QoS 2 one, stored at most
 * once: device/mqtt-qos2.ts) goes in a call of its own, after what waits in its device's batch.
 */
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import type { DeliveryMark } from "../shared/delivery-marks";
import { GroupCommit } from "../shared/group-commit";
import { SessionStubs, deviceSession } from "./sessions";

export class DeviceDeliveries {
  private readonly batches = new Map<string, GroupCommit<Message>>();
  private readonly sessions: SessionStubs;

  constructor(env: Env) {
    this.sessions = new SessionStubs(env);
  }

  /** Resolves once the device's object stored `m`. */
  send(deviceId: string, m: Message, mark?: DeliveryMark): Promise<void> {
    const session = deviceSession(deviceId);
    let batch = this.batches.get(deviceId);
    if (!batch) this.batches.set(deviceId, (batch = new GroupCommit((items) => this.sessions.deliver(session, items))));
    if (!mark) return batch.add([m]);
    batch.flush();
    return this.sessions.deliver(session, [m], mark);
  }
}
