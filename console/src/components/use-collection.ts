/** A registry collection on a page (`/v1/channels`, `/v1/groups`): its first 100 items, creating one, deleting one. */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import type { Page } from "../api/types";
import { useAsync, type Async } from "./use-async";
import { useAction } from "./use-action";

export interface Collection<T> {
  list: Async<Page<T>>;
  items: T[];
  /** The last create's or delete's error. */
  error: unknown;
  /** The id of the item the last create made (for "… created."), or null. */
  created: string | null;
  /** POSTs `body`; on success `then` runs (e.g. clearing the form). The list is read again either way. */
  create: (body: unknown, then?: () => void) => Promise<void>;
  remove: (id: string) => Promise<void>;
}

/** @example const groups = useCollection<Group>("/v1/groups", (g) => g.name); */
export function useCollection<T>(path: string, idOf: (item: T) => string): Collection<T> {
  const list = useAsync(() => request<Page<T>>("GET", path, { query: { limit: 100 } }), [path]);
  const { error, run } = useAction(list.reload);
  const [created, setCreated] = useState<string | null>(null);
  return {
    list,
    items: list.data?.items ?? [],
    error,
    created,
    create: (body, then) => {
      setCreated(null);
      return run(async () => {
        setCreated(idOf(await request<T>("POST", path, { body })));
        then?.();
      });
    },
    remove: (id) => run(() => request("DELETE", `${path}/${seg(id)}`)),
  };
}
