/**
 * The console's pages, addressed by the URL fragment (`#/devices/lamp-1/telemetry`), so the
 * static host needs no fallback rule and a reload or a shared link opens the same page.
 */

/** Sections of a device's page, in the order of its sub-navigation. */
export const DEVICE_TABS = ["shadow", "history", "events", "telemetry", "commands", "methods", "credentials"] as const;
/** A section of a device's page. */
export type DeviceTab = (typeof DEVICE_TABS)[number];

/** Top-level pages, in the order of the main navigation. */
export const TOP_PAGES = ["devices", "groups", "rules", "webhooks", "channels", "api-keys", "policies"] as const;
/** A page of the main navigation. */
export type TopPage = (typeof TOP_PAGES)[number];

/** A console page, as the URL fragment names it. */
export type Route = { page: TopPage } | { page: "device"; id: string; tab: DeviceTab } | { page: "not-found"; path: string };

const isTab = (s: string): s is DeviceTab => (DEVICE_TABS as readonly string[]).includes(s);
const isTop = (s: string): s is TopPage => (TOP_PAGES as readonly string[]).includes(s);

/**
 * Reads a route from a fragment; an empty one is the device list.
 * @example parseRoute("#/devices/lamp%3A1/telemetry") // { page: "device", id: "lamp:1", tab: "telemetry" }
 */
export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#/, "").replace(/^\/+|\/+$/g, "");
  if (path === "") return { page: "devices" };
  const parts = path.split("/");
  let decoded: string[];
  try {
    decoded = parts.map((p) => decodeURIComponent(p));
  } catch {
    return { page: "not-found", path };
  }
  const [head, id, tab, ...rest] = decoded;
  if (head === "devices" && id !== undefined && rest.length === 0) {
    if (tab === undefined) return { page: "device", id, tab: "shadow" };
    if (isTab(tab)) return { page: "device", id, tab };
  }
  if (head !== undefined && isTop(head) && parts.length === 1) return { page: head };
  return { page: "not-found", path };
}

/**
 * The fragment of a route; `parseRoute(hrefOf(r))` gives `r` back.
 * @example hrefOf({ page: "device", id: "lamp-1", tab: "shadow" }) // "#/devices/lamp-1/shadow"
 */
export function hrefOf(route: Route): string {
  switch (route.page) {
    case "device":
      return `#/devices/${encodeURIComponent(route.id)}/${route.tab}`;
    case "not-found":
      return `#/${route.path}`;
    default:
      return `#/${route.page}`;
  }
}
