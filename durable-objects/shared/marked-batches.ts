/**
 * Batches of marked messages (a session's QoS 2 messages, each with its number in the session's
 * sequence: device/mqtt-qos2.ts), one call per target per turn as GroupCommit makes them, each
 * call carrying one mark; a receiver skips the numbers it stored already (DeliveryMarks, in any
 * order). A batch is sorted by number, so a resend routed again next to newer messages goes
 * first, in the order the client published them.
 */
import type { Message } from "../../protocols/mqtt";
import type { DeliveryMark } from "./delivery-marks";
import { GroupCommit } from "./group-commit";

interface Item {
  message: Message;
  seq: number;
}

export class MarkedBatches<T extends string | number> {
  private readonly batches = new Map<string, GroupCommit<Item>>();

  /** @param send one call to `target` with its batch and the batch's mark */
  constructor(private readonly send: (target: T, messages: Message[], mark: DeliveryMark) => Promise<void>) {}

  /** Adds a message marked with one number (`mark.seqs[0]`) to `target`'s batch; resolves once the target stored it. */
  add(target: T, message: Message, mark: DeliveryMark): Promise<void> {
    const id = `${target}\n${mark.from}`;
    let batch = this.batches.get(id);
    if (!batch) {
      const from = mark.from;
      this.batches.set(
        id,
        (batch = new GroupCommit((items) => {
          const sorted = [...items].sort((a, b) => a.seq - b.seq);
          return this.send(target, sorted.map((i) => i.message), { from, seqs: sorted.map((i) => i.seq) });
        })),
      );
    }
    return batch.add([{ message, seq: mark.seqs[0]! }]);
  }
}
