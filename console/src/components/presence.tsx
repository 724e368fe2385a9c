/**
 * Live online/offline for devices on screen: each one's status is read once, then its event
 * stream's presence events keep it current (one stream per visible device; the list shows at
 * most one page).
 */
import { useEffect, useState } from "preact/hooks";
import { request, seg } from "../api/client";
import { openEvents } from "../api/stream";
import type { Device, DeviceEvent, DeviceStatus } from "../api/types";

/**
 * The status a presence event implies, or null when it is not one. The event carries the hub's
 * own status (its `last_seen` is the device's last message, which a disconnect need not move);
 * the event's time stands in for a field it lacks.
 */
export function statusFromEvent(e: DeviceEvent, prev: DeviceStatus | undefined): DeviceStatus | null {
  if (e.type !== "presence.connected" && e.type !== "presence.disconnected") return null;
  const data = (typeof e.data === "object" && e.data !== null && !Array.isArray(e.data) ? e.data : {}) as Record<string, unknown>;
  const text = (k: string): string | undefined => (typeof data[k] === "string" ? (data[k] as string) : undefined);
  const at = new Date(e.ts).toISOString();
  const protocol = text("protocol") ?? prev?.protocol ?? null;
  if (e.type === "presence.connected") return { ...prev, connected: true, protocol, connected_at: text("connected_at") ?? at, last_seen: text("last_seen") ?? at };
  return { ...prev, connected: false, protocol, disconnected_at: text("disconnected_at") ?? at, last_seen: text("last_seen") ?? prev?.last_seen ?? at };
}

/** Live status of each of `ids`. */
export function usePresence(ids: string[]): Record<string, DeviceStatus | undefined> {
  const [status, setStatus] = useState<Record<string, DeviceStatus | undefined>>({});
  const key = ids.join("\n");
  useEffect(() => {
    let live = true;
    const read = (id: string) =>
      void request<Device>("GET", `/v1/devices/${seg(id)}`).then(
        (d) => live && setStatus((s) => ({ ...s, [id]: d.status })),
        () => undefined,
      );
    const streams = ids.map((id) => {
      read(id);
      const follow = (e: DeviceEvent) =>
        setStatus((s) => {
          const next = statusFromEvent(e, s[id]);
          return next ? { ...s, [id]: next } : s;
        });
      // Read again whenever the stream (re)opens: a change while it was down sent no event to us.
      return openEvents(id, follow, (state) => state === "open" && read(id));
    });
    return () => {
      live = false;
      for (const s of streams) s.close();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps -- `key` stands for `ids`
  }, [key]);
  return status;
}

/** "Online · mqtt" or "Offline", with a dot that is never the only sign. */
export function StatusBadge({ status }: { status: DeviceStatus | undefined }) {
  if (!status) return <span class="badge unknown">Unknown</span>;
  return status.connected ? (
    <span class="badge online" data-status="online">
      Online{status.protocol ? ` · ${status.protocol}` : ""}
    </span>
  ) : (
    <span class="badge offline" data-status="offline">
      Offline
    </span>
  );
}
