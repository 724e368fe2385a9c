/**
 * The observations (RFC 7641) one UDP peer holds through the gateway: each pairs the peer's
 * token with the token the gateway used toward the hub, so notifications find their way back
 * and a cancellation finds its way forward.
 */
import type { CoapMessage } from "../../../protocols/coap";
import { toHex } from "../../../protocols/coap";

/** One observation relayed for the peer. */
export interface Observation {
  clientToken: Uint8Array;
  hubToken: Uint8Array;
  /** The registration came as CON, so notifications go CON too (RFC 7641 §4.5). */
  confirmable: boolean;
  /** The registration as the hub got it; replayed with Observe 1 to deregister (RFC 7641 §3.6). */
  registration: CoapMessage;
  /** Message id of our CON notification still unacknowledged: one at a time (RFC 7641 §4.5.1). */
  inFlight: number | null;
  /**
   * Notifications waiting for `inFlight`. Of a resource's state (`/shadow/delta`) only the newest
   * is kept, each one superseding the last (RFC 7641 §4.5.2); of an event resource (`/commands`,
   * `/methods`: each notification a separate command or call) every one, in order.
   */
  queued: CoapMessage[];
  /** Whether every notification counts (an event resource), not only the newest. */
  events: boolean;
}

/** The resources whose every notification is its own command or method call. */
const EVENT_RESOURCES = new Set(["commands", "methods"]);

/** Whether an observation of `path` must relay every notification (see {@link Observation.queued}). */
export function observesEvents(path: readonly string[]): boolean {
  return path.length === 1 && EVENT_RESOURCES.has(path[0]!);
}

/** How many NON notifications are remembered for matching a RST (RFC 7641 §3.6). */
const NON_REMEMBERED = 64;

/** The observation table of one peer, indexed both ways. */
export class Observations {
  private readonly byClient = new Map<string, Observation>();
  private readonly byHub = new Map<string, Observation>();
  private readonly nonSent = new Map<number, string>();

  /** Adds an observation, replacing one with the same peer token. */
  add(o: Observation): void {
    const old = this.byClient.get(toHex(o.clientToken));
    if (old !== undefined) this.remove(old);
    this.byClient.set(toHex(o.clientToken), o);
    this.byHub.set(toHex(o.hubToken), o);
  }

  /** The observation the peer holds under `token`. */
  forClient(token: Uint8Array): Observation | undefined {
    return this.byClient.get(toHex(token));
  }

  /** The observation whose hub token is `token`. */
  forHub(token: Uint8Array): Observation | undefined {
    return this.byHub.get(toHex(token));
  }

  /** Ends an observation. */
  remove(o: Observation): void {
    if (this.byClient.get(toHex(o.clientToken)) === o) this.byClient.delete(toHex(o.clientToken));
    if (this.byHub.get(toHex(o.hubToken)) === o) this.byHub.delete(toHex(o.hubToken));
  }

  /** Remembers that a NON notification with `messageId` went out for `o`. */
  sentNon(messageId: number, o: Observation): void {
    this.nonSent.delete(messageId);
    this.nonSent.set(messageId, toHex(o.hubToken));
    if (this.nonSent.size > NON_REMEMBERED) {
      const oldest = this.nonSent.keys().next().value;
      if (oldest !== undefined) this.nonSent.delete(oldest);
    }
  }

  /** The live observation a RST to NON notification `messageId` refers to. */
  takeNon(messageId: number): Observation | undefined {
    const key = this.nonSent.get(messageId);
    this.nonSent.delete(messageId);
    return key === undefined ? undefined : this.byHub.get(key);
  }

  /** Whether a hub token is in use by an observation. */
  usesHubToken(token: Uint8Array): boolean {
    return this.byHub.has(toHex(token));
  }

  /** Every observation, then none. */
  drain(): Observation[] {
    const all = [...this.byClient.values()];
    this.byClient.clear();
    this.byHub.clear();
    this.nonSent.clear();
    return all;
  }

  /** Number of observations. */
  get size(): number {
    return this.byClient.size;
  }
}
