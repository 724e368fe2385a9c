/**
 * Exactly once for the QoS 2 messages a client publishes (§4.3.3), across a restart of the hub.
 * The session holds a packet id until PUBREL (`awaitingRelease`) and answers a resend of it with
 * PUBREC alone; the message itself is written elsewhere, often in another object (a topic shard,
 * another device). Two commits, which a kill can separate: with only the id stored, the resend was
 * acknowledged and the message never went anywhere (lost); with only the message stored, the
 * resend was taken as new and routed again (a copy without DUP).
 *
 * So each id the session takes gets the next number of the session's QoS 2 sequence, in the write
 * that stores the id, and that write is durable before the message is routed (a call to another
 * object waits for it at the output gate; a later write in this object commits after it). The
 * message travels with its mark: a receiver in another object records it in the write that stores
 * the message and skips it when it comes again (DeliveryMarks); a receiver in this object claims
 * the id's row in its own write. A resend is routed again with the same mark (receivers skip what
 * they have), unless a write in this object claimed it: then it is only acknowledged.
 */
import type { DeliveryMark } from "../shared/delivery-marks";
import type { DeviceStore } from "./store";

/** A QoS 2 message on its way, to be stored at most once by each receiver. */
export interface Once {
  /** For a receiver in another object: record it in the write that stores the message; skip the message when it comes again. */
  readonly mark: DeliveryMark;
  /** For a receiver in this object: call in the transaction that stores the message; false when it is stored already (skip it). */
  claim(): boolean;
  /**
   * For a write in this object outside a transaction: runs `write` unless the message is stored
   * already, and claims it only once `write` returned, so a write that throws leaves the message
   * unclaimed and the client's resend is routed again. (No await in `write`: its writes and the
   * claim commit together.)
   */
  storeOnce(write: () => void): void;
}

/** Meta key of the sequence: a random id (new with the table, so a re-made object never matches old marks) and the next number. */
const KEY = "mqtt_qos2";

const NONE: ReadonlyMap<number, Once> = new Map();

interface Sequence {
  from: string;
  next: number;
}

export class Qos2Receipts {
  private sequence: Sequence | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly meta: Pick<DeviceStore, "getMeta" | "setMeta">,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS mqtt_qos2 (packet_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, routed INTEGER NOT NULL)`);
  }

  /**
   * Follows the session's held ids from `before` to `after`: a new id gets its row and number, a
   * released one loses its row. Call in the write that stores `after` (same turn, no await between).
   * Returns the new ids' Onces.
   */
  follow(before: readonly number[], after: readonly number[]): ReadonlyMap<number, Once> {
    if (before === after) return NONE; // most events (every delivery, every PUBACK): nothing to allocate
    const taken = new Map<number, Once>();
    for (const id of before) if (!after.includes(id)) this.sql.exec(`DELETE FROM mqtt_qos2 WHERE packet_id = ?`, id);
    for (const id of after) {
      if (before.includes(id)) continue;
      const s = this.current();
      this.sequence = { from: s.from, next: s.next + 1 };
      this.meta.setMeta(KEY, this.sequence);
      this.sql.exec(`INSERT OR REPLACE INTO mqtt_qos2 (packet_id, seq, routed) VALUES (?, ?, 0)`, id, s.next);
      taken.set(id, this.once(id, s.next));
    }
    return taken;
  }

  /** A resend of a held id: its Once to route it again, null when a write in this object claimed it (only acknowledge it). */
  resent(packetId: number): Once | null {
    const row = this.sql.exec<{ seq: number; routed: number }>(`SELECT seq, routed FROM mqtt_qos2 WHERE packet_id = ?`, packetId).toArray()[0];
    return row && row.routed === 0 ? this.once(packetId, row.seq) : null;
  }

  private once(packetId: number, seq: number): Once {
    const sql = this.sql;
    // The id's row as this message's: absent once released (the message then counts as new here).
    const row = () => sql.exec<{ routed: number }>(`SELECT routed FROM mqtt_qos2 WHERE packet_id = ? AND seq = ?`, packetId, seq).toArray()[0];
    const mark = () => sql.exec(`UPDATE mqtt_qos2 SET routed = 1 WHERE packet_id = ? AND seq = ?`, packetId, seq);
    return {
      mark: { from: this.current().from, seqs: [seq] },
      claim() {
        const r = row();
        if (r?.routed === 1) return false;
        if (r) mark();
        return true;
      },
      storeOnce(write) {
        if (row()?.routed === 1) return;
        write();
        mark();
      },
    };
  }

  private current(): Sequence {
    this.sequence ??= this.meta.getMeta<Sequence>(KEY) ?? { from: crypto.randomUUID(), next: 1 };
    return this.sequence;
  }
}
