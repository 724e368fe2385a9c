/**
 * Messages a session publishes on devices' topics (an app's command to a device, one device's
 * message to another): one call per target device per batch (GroupCommit), through the device
 * session's kept stub, so calls arrive in order. Marked messages (QoS 2 ones, stored at most
 * once: device/mqtt-qos2.ts) go in batches of their own.
 */
import type { Env } from "../env";
import type { Message } from "../../protocols/mqtt";
import type { DeliveryMark } from "../shared/delivery-marks";
import { GroupCommit } from "../shared/group-commit";
import { MarkedBatches } from "../shared/marked-batches";
import { SessionStubs, deviceSession } from "./sessions";

export class DeviceDeliveries {
  private readonly batches = new Map<string, GroupCommit<Message>>();
  private readonly sessions: SessionStubs;
  private readonly marked: MarkedBatches<string>;

  constructor(env: Env) {
    const sessions = (this.sessions = new SessionStubs(env));
    this.marked = new MarkedBatches((session, messages, mark) => sessions.deliver(session, messages, mark));
  }

  /** Resolves once the device's object stored `m`. */
  send(deviceId: string, m: Message, mark?: DeliveryMark): Promise<void> {
    const session = deviceSession(deviceId);
    if (mark) return this.marked.add(session, m, mark);
    let batch = this.batches.get(deviceId);
    if (!batch) this.batches.set(deviceId, (batch = new GroupCommit((items) => this.sessions.deliver(session, items))));
    return batch.add([m]);
  }
}
