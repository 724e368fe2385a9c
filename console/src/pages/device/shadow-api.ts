/** Where a device's shadows live in the API, and reading one that may not exist yet. */
import { ApiProblem, request, seg } from "../../api/client";
import type { ShadowDocument } from "../../api/types";

/** Path of the classic shadow (`name` "") or a named one. */
export const shadowPath = (id: string, name: string): string => (name === "" ? `/v1/devices/${seg(id)}/shadow` : `/v1/devices/${seg(id)}/shadows/${seg(name)}`);

/** The shadow, or null when it does not exist (never written, or deleted). */
export async function readShadow(id: string, name: string): Promise<ShadowDocument | null> {
  try {
    return await request<ShadowDocument>("GET", shadowPath(id, name));
  } catch (err) {
    if (err instanceof ApiProblem && err.status === 404 && err.detail.startsWith("No shadow")) return null;
    throw err;
  }
}

/**
 * When the shadow's state was last written: the newest `timestamp` in its metadata (epoch
 * seconds). The document's own `timestamp` is when the hub answered, not when anything changed.
 */
export function lastWritten(doc: ShadowDocument): number | undefined {
  let newest: number | undefined;
  const walk = (v: unknown): void => {
    if (typeof v !== "object" || v === null) return;
    for (const [k, child] of Object.entries(v)) {
      if (k === "timestamp" && typeof child === "number") newest = Math.max(newest ?? child, child);
      else walk(child);
    }
  };
  walk(doc.metadata);
  return newest;
}

/** Whether a live event is about shadow `name`. */
export function isShadowEvent(e: { type: string; data: unknown }, name: string): boolean {
  if (!e.type.startsWith("shadow.")) return false;
  const d = e.data;
  return typeof d === "object" && d !== null && (d as { shadow?: unknown }).shadow === name;
}
