/** Observations (RFC 7641) in a session's state: register, deregister, look up, number. */
import type { CoapSessionState, ObserverEntry, ShadowFormat } from "./host";

/**
 * Adds or replaces the observation of `token` (RFC 7641 §4.1: a registration with a
 * token already in use replaces it). Returns the entry with the sequence number for the
 * response, or null when the list is full (the response then carries no Observe, which
 * tells the client it is not registered, RFC 7641 §3.1).
 */
export function registerObserver(
  state: CoapSessionState,
  token: string,
  resource: string,
  accept: ShadowFormat,
  max: number,
  szx?: number,
): ObserverEntry | null {
  const existing = state.observers.find((o) => o.token === token);
  if (existing !== undefined) {
    existing.resource = resource;
    existing.accept = accept;
    existing.seq = nextSeq(existing.seq);
    if (szx === undefined) delete existing.szx;
    else existing.szx = szx;
    return existing;
  }
  if (state.observers.length >= max) return null;
  const entry: ObserverEntry = szx === undefined ? { token, resource, seq: 1, accept } : { token, resource, seq: 1, accept, szx };
  state.observers.push(entry);
  return entry;
}

/** Removes the observation of `token` (Observe = 1, RFC 7641 §3.6); true if one existed. */
export function deregisterObserver(state: CoapSessionState, token: string): boolean {
  const before = state.observers.length;
  state.observers = state.observers.filter((o) => o.token !== token);
  return state.observers.length !== before;
}

/** The observations of one resource. */
export function observersOf(state: CoapSessionState, resource: string): ObserverEntry[] {
  return state.observers.filter((o) => o.resource === resource);
}

/** The next 24-bit Observe sequence number (RFC 7641 §4.4). */
export function nextSeq(seq: number): number {
  return (seq + 1) & 0xffffff;
}
