/** The serializable state of a CoAP session: a fresh one, a checked one read back, a copy. */
import type { CoapSessionState, ObserverEntry } from "./host";
import type { CsmValues } from "./signaling";

/** A fresh state for a new connection. */
export function initialState(deviceId: string): CoapSessionState {
  return { v: 1, deviceId, authenticated: false, peerCsm: null, observers: [], closed: false };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function parseCsm(v: unknown): CsmValues | null | undefined {
  if (v === null) return null;
  if (!isRecord(v) || typeof v.maxMessageSize !== "number" || typeof v.blockWise !== "boolean") return undefined;
  return { maxMessageSize: v.maxMessageSize, blockWise: v.blockWise };
}

function parseObserver(v: unknown): ObserverEntry | undefined {
  if (!isRecord(v)) return undefined;
  const { token, resource, seq, accept, szx } = v;
  if (typeof token !== "string" || !/^([0-9a-f]{2}){0,8}$/.test(token)) return undefined;
  if (typeof resource !== "string" || typeof seq !== "number" || !Number.isInteger(seq)) return undefined;
  if (accept !== 50 && accept !== 60) return undefined;
  const entry: ObserverEntry = { token, resource, seq: seq & 0xffffff, accept };
  if (szx === undefined) return entry;
  return typeof szx === "number" && Number.isInteger(szx) && szx >= 0 && szx <= 6 ? { ...entry, szx } : undefined;
}

/**
 * Narrows a value read back from `deserializeAttachment()` to a session state, or null
 * when it is not one (the host then starts over, or closes the socket).
 */
export function parseSessionState(v: unknown): CoapSessionState | null {
  if (!isRecord(v) || v.v !== 1 || typeof v.deviceId !== "string") return null;
  if (typeof v.authenticated !== "boolean" || typeof v.closed !== "boolean" || !Array.isArray(v.observers)) return null;
  const peerCsm = parseCsm(v.peerCsm);
  if (peerCsm === undefined) return null;
  const observers: ObserverEntry[] = [];
  for (const o of v.observers) {
    const entry = parseObserver(o);
    if (entry === undefined) return null;
    observers.push(entry);
  }
  return { v: 1, deviceId: v.deviceId, authenticated: v.authenticated, peerCsm, observers, closed: v.closed };
}

/** A deep copy, safe to hand to `serializeAttachment` while the session keeps mutating its own. */
export function cloneState(s: CoapSessionState): CoapSessionState {
  return {
    ...s,
    peerCsm: s.peerCsm === null ? null : { ...s.peerCsm },
    observers: s.observers.map((o) => ({ ...o })),
  };
}
