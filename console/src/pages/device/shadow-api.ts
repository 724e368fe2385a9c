/** Where a device's shadows live in the API, and reading one that may not exist yet. */
import { ApiProblem, request, seg } from "../../api/client";
import type { Page, ShadowDocument } from "../../api/types";

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
 * When the shadow last changed (epoch seconds): the time its history keeps for the current
 * version, so a change that only removed fields counts too (their metadata went with them). The
 * document's own `timestamp` is when the hub answered, not when anything changed.
 */
export async function changedAt(id: string, name: string, doc: ShadowDocument): Promise<number | null> {
  const page = await request<Page<ShadowDocument>>("GET", `${shadowPath(id, name)}/history`, { query: { from_version: doc.version, limit: 1 } });
  const entry = page.items[0];
  return (entry?.version === doc.version ? entry.timestamp : undefined) ?? doc.timestamp ?? null;
}

/** Whether a live event is about shadow `name`. */
export function isShadowEvent(e: { type: string; data: unknown }, name: string): boolean {
  if (!e.type.startsWith("shadow.")) return false;
  const d = e.data;
  return typeof d === "object" && d !== null && (d as { shadow?: unknown }).shadow === name;
}
