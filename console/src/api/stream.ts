/**
 * A device's live events (`/v1/devices/{id}/events`) over a WebSocket. Browsers cannot set
 * headers on a WebSocket, so the credential travels as the subprotocol `token.<token>` beside
 * `umbra.events.v1`. A dropped stream reconnects with capped, jittered back-off.
 */
import { ApiProblem, bearer, request } from "./client";
import type { DeviceEvent } from "./types";
import { backoff } from "../lib/backoff";
import { closeSocket } from "../lib/close-socket";

/** The subprotocol the hub answers for event streams. */
export const EVENTS_SUBPROTOCOL = "umbra.events.v1";

/**
 * Where a stream is: opening, open, dropped (and about to reconnect), ended for good because the
 * device was deleted, or refused to this credential (no `devices:read`).
 */
export type StreamState = "connecting" | "open" | "closed" | "gone" | "refused";

/** The close code of a stream whose device was deleted: nothing to reconnect to. */
export const DEVICE_DELETED = 4404;

/** The close code of a stream whose credential ended (revoked, expired). */
const CREDENTIAL_ENDED = 4401;

let probe: Promise<"ok" | "refused"> | null = null;

/**
 * Whether the credential may still read devices, asked once for every stream that asks at once: a
 * refused WebSocket handshake tells a browser nothing (close 1006), and a revoked key must not cost
 * a failed sign-in per stream per retry (the address's failure limit then locks out everyone on it,
 * the admin too). A 401 signs out (request() does); a 403 stops the streams.
 */
function checkAccess(): Promise<"ok" | "refused"> {
  probe ??= request("GET", "/v1/devices?limit=1")
    .then(() => "ok" as const, (err: unknown) => (err instanceof ApiProblem && err.status === 403 ? "refused" : "ok"))
    .finally(() => setTimeout(() => (probe = null), 1_000));
  return probe;
}

/** A live stream; `close()` ends it for good. */
export interface EventStream {
  close(): void;
}

/**
 * Opens the stream of `deviceId`, calling `onEvent` for each event and `onState` as it
 * connects, opens and drops.
 * @example const s = openEvents("lamp-1", (e) => console.log(e.type)); ... s.close();
 */
export function openEvents(deviceId: string, onEvent: (e: DeviceEvent) => void, onState: (s: StreamState) => void = () => undefined): EventStream {
  let ws: WebSocket | null = null;
  let stopped = false;
  let attempt = 0;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const connect = async (): Promise<void> => {
    onState("connecting");
    let token: string;
    try {
      token = await bearer();
    } catch {
      onState("closed");
      return;
    }
    if (stopped) return;
    const url = new URL(`/v1/devices/${encodeURIComponent(deviceId)}/events`, location.href);
    url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
    try {
      ws = new WebSocket(url, [EVENTS_SUBPROTOCOL, `token.${token}`]);
    } catch {
      // A token with characters a subprotocol cannot carry: no stream, and no point retrying.
      onState("closed");
      return;
    }
    let opened = false;
    ws.onopen = () => {
      opened = true;
      attempt = 0;
      onState("open");
    };
    ws.onmessage = (m) => {
      if (stopped) return;
      try {
        const e: unknown = JSON.parse(String(m.data));
        if (typeof e === "object" && e !== null && typeof (e as DeviceEvent).type === "string") onEvent(e as DeviceEvent);
      } catch {
        // Not an event: ignore it rather than stop the stream.
      }
    };
    ws.onclose = (ev) => {
      ws = null;
      if (stopped) return;
      if (ev.code === DEVICE_DELETED) {
        stopped = true;
        onState("gone");
        return;
      }
      onState("closed");
      const again = () => {
        retry = setTimeout(() => void connect(), backoff(attempt++));
      };
      if (opened && ev.code !== CREDENTIAL_ENDED) return again();
      void checkAccess().then((access) => {
        if (stopped) return;
        if (access === "ok") return again();
        stopped = true;
        onState("refused");
      });
    };
  };

  void connect();
  return {
    close() {
      stopped = true;
      clearTimeout(retry);
      if (ws) {
        // Nothing more reaches the caller; a socket still connecting closes once open (no warning).
        ws.onopen = null;
        ws.onmessage = null;
        closeSocket(ws);
      }
      ws = null;
    },
  };
}
