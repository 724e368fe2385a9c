/**
 * The RFC 7252 message layer toward one UDP peer (§4): which of its message ids we have seen
 * and what we answered them, piggybacked or separate responses, and our Confirmable messages
 * under retransmission. It knows nothing of what the messages mean; the translator does.
 */
import type { CoapMessage } from "../../../protocols/coap";
import { Code } from "../../../protocols/coap";
import type { Datagram } from "./datagram";
import { emptyMessage, serializeDatagram } from "./datagram";
import type { Due, Pending, Timing } from "./reliability";
import { Dedupe, Outbox, lifetimes } from "./reliability";
import { diagnostic, toPeer } from "./translate";

/** The peer's side of one exchange: its request's type and message id, and whether we ACKed it. */
export interface PeerSide {
  type: "CON" | "NON";
  messageId: number;
  acked: boolean;
}

/** A request's message id is new, or a duplicate with what we answered the first time (or null: not yet). */
export type Arrival = { duplicate: false } | { duplicate: true; reply: Uint8Array | null };

/** Message layer state for one peer; `T` tags our CON messages with what they were for. */
export class PeerLink<T> {
  private readonly dedupe = new Dedupe();
  private readonly outbox: Outbox<T>;
  private readonly lifetime: { exchangeMs: number; nonMs: number };
  private mid: number;

  constructor(timing: Timing, random: () => number) {
    this.outbox = new Outbox<T>(timing, random);
    this.lifetime = lifetimes(timing);
    this.mid = Math.floor(random() * 0x10000);
  }

  /** RFC 7252 §4.5: records a request's message id for EXCHANGE_LIFETIME (CON) or NON_LIFETIME. */
  arrive(d: Pick<Datagram, "type" | "messageId">, now: number): Arrival {
    const seen = this.dedupe.lookup(d.messageId, now);
    if (seen !== undefined) return { duplicate: true, reply: seen.reply };
    this.dedupe.remember(d.messageId, now + (d.type === "CON" ? this.lifetime.exchangeMs : this.lifetime.nonMs), now);
    return { duplicate: false };
  }

  /** RFC 7252 §4.2: the Empty RST that rejects a message. */
  reset(messageId: number): Uint8Array {
    return serializeDatagram(emptyMessage("RST", messageId));
  }

  /** RFC 7252 §5.2.2: an Empty ACK now (replayed to duplicates), the response later on its own. */
  ack(peer: PeerSide): Uint8Array {
    const bytes = serializeDatagram(emptyMessage("ACK", peer.messageId));
    peer.acked = true;
    this.dedupe.answer(peer.messageId, bytes);
    return bytes;
  }

  /**
   * The response to a request: piggybacked on the ACK while a CON is unacknowledged (and
   * replayed to its duplicates), else a new message of the request's type (RFC 7252 §5.2).
   */
  answer(peer: PeerSide, msg: CoapMessage, token: Uint8Array, tag: T, now: number): Uint8Array {
    if (peer.type === "CON" && !peer.acked) {
      const bytes = this.serialize(msg, { type: "ACK", messageId: peer.messageId, token });
      peer.acked = true;
      this.dedupe.answer(peer.messageId, bytes);
      return bytes;
    }
    return this.send(msg, peer.type, token, tag, now).bytes;
  }

  /** A new CON or NON under a fresh message id; CON is kept for retransmission. */
  send(msg: CoapMessage, type: "CON" | "NON", token: Uint8Array, tag: T, now: number): { bytes: Uint8Array; messageId: number } {
    do this.mid = (this.mid + 1) & 0xffff;
    while (this.outbox.has(this.mid));
    const bytes = this.serialize(msg, { type, messageId: this.mid, token });
    if (type === "CON") this.outbox.add(this.mid, bytes, tag, now);
    return { bytes, messageId: this.mid };
  }

  /** An ACK or RST for one of our messages; the settled entry, if it was ours. */
  settle(messageId: number): Pending<T> | undefined {
    return this.outbox.settle(messageId);
  }

  /** Retransmissions and give-ups due at `now`. */
  due(now: number): Due<T> {
    return this.outbox.due(now);
  }

  /** When `due` has work next, or null. */
  nextDeadline(): number | null {
    return this.outbox.nextDeadline();
  }

  /** Our CON messages awaiting an ACK. */
  get inFlight(): number {
    return this.outbox.size;
  }

  /** A message the hub can send but one datagram cannot carry becomes a 5.00 diagnostic. */
  private serialize(msg: CoapMessage, header: Pick<Datagram, "type" | "messageId" | "token">): Uint8Array {
    try {
      return serializeDatagram(toPeer(msg, header.type, header.messageId, header.token));
    } catch {
      const fallback = diagnostic(Code.INTERNAL_SERVER_ERROR, header.token, "answer too large for a datagram");
      return serializeDatagram(toPeer(fallback, header.type, header.messageId, header.token));
    }
  }
}
