/** The body of a listing, the same on every page: loading, empty, or the items. */
import type { ComponentChildren } from "preact";
import { Loading } from "./notes";

/**
 * Nothing while there is an error (its `ErrorNote` says why, and an empty list would be a false
 * claim), "Loading…" before the first answer, `empty` when there are no items, else `children`.
 */
export function ListBody({ state, count, empty, children }: { state: { data?: unknown; error?: unknown }; count: number; empty: ComponentChildren; children: ComponentChildren }) {
  if (!state.data) return state.error ? null : <Loading />;
  if (count === 0) return <p>{empty}</p>;
  return <>{children}</>;
}
