/** Presence of a device: connected or not, since when, over what, from where. */
import type { DeviceStore } from "./store";

/** Stored presence (epoch ms). */
export interface Presence {
  connected: boolean;
  protocol: string | null;
  remote_address: string | null;
  connected_at: number | null;
  disconnected_at: number | null;
  last_seen: number | null;
}

/** Presence as the API shows it (ISO 8601 times). */
export interface DeviceStatus {
  connected: boolean;
  protocol: string | null;
  remote_address: string | null;
  connected_at: string | null;
  disconnected_at: string | null;
  last_seen: string | null;
}

const NEVER: Presence = { connected: false, protocol: null, remote_address: null, connected_at: null, disconnected_at: null, last_seen: null };

/** Reads the stored presence (a device that never connected has all nulls). */
export function readPresence(store: DeviceStore): Presence {
  return store.getMeta<Presence>("presence") ?? NEVER;
}

const iso = (ms: number | null) => (ms ? new Date(ms).toISOString() : null);

/** Renders presence; `lastSeen` is the in-memory time of the latest message, newer than the stored one. */
export function statusOf(p: Presence, lastSeen: number): DeviceStatus {
  return {
    connected: p.connected,
    protocol: p.protocol,
    remote_address: p.remote_address,
    connected_at: iso(p.connected_at),
    disconnected_at: iso(p.disconnected_at),
    last_seen: iso(Math.max(p.last_seen ?? 0, lastSeen) || null),
  };
}

/**
 * Presence as rules see it (rules/README.md, "Sources and their events"): times in epoch ms, so
 * `last_seen < timestamp() - 60000` and `disconnected_at - connected_at` work; never-set times
 * stay null. The API's ISO strings ({@link statusOf}) would compare as unknown there.
 */
export function presenceRuleData(p: Presence, lastSeen: number): { [K in keyof Presence]: Presence[K] } {
  return {
    connected: p.connected,
    protocol: p.protocol,
    remote_address: p.remote_address,
    connected_at: p.connected_at || null,
    disconnected_at: p.disconnected_at || null,
    last_seen: Math.max(p.last_seen ?? 0, lastSeen) || null,
  };
}

/**
 * The next presence after a connection opened or closed: a new connection starts it afresh; a
 * close keeps where it was and when, and the latest activity seen — the close itself when the
 * device closed (`closedNow`), not when the hub only noticed, after a restart, that the connection
 * was gone (the device was not seen then). Null when nothing changed (a close while already offline).
 */
export function nextPresence(before: Presence, connected: boolean, protocol: string, remote: string | null, lastSeen: number, now: number, closedNow = true): Presence | null {
  if (!connected && !before.connected) return null;
  return connected
    ? { connected, protocol, remote_address: remote, connected_at: now, last_seen: now, disconnected_at: null }
    : { ...before, connected, last_seen: Math.max(before.last_seen ?? 0, lastSeen, closedNow ? now : 0) || null, disconnected_at: now };
}
