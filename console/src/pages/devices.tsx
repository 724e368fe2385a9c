/**
 * Devices: search by id prefix, tag or group; live online/offline for the page on screen;
 * register a device and show its first token once.
 */
import { useState } from "preact/hooks";
import { request } from "../api/client";
import type { Device, Page } from "../api/types";
import { useAsync } from "../components/use-async";
import { ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { StatusBadge, usePresence } from "../components/presence";
import { CreateDevice } from "./device-create";
import { hrefOf } from "../lib/route";
import { TableWrap } from "../components/table-wrap";

const PAGE_SIZE = 25;

interface Query {
  prefix: string;
  tag: string;
  group: string;
}

/** The device list page (`#/devices`). */
export function DevicesPage() {
  const [form, setForm] = useState<Query>({ prefix: "", tag: "", group: "" });
  const [query, setQuery] = useState<Query>(form);
  const [cursors, setCursors] = useState<(string | null)[]>([null]);
  const cursor = cursors[cursors.length - 1];
  const list = useAsync(() => request<Page<Device>>("GET", "/v1/devices", { query: { ...query, limit: PAGE_SIZE, cursor } }), [query, cursor]);
  const groups = useAsync(() => request<Page<{ name: string }>>("GET", "/v1/groups", { query: { limit: 100 } }).catch(() => ({ items: [], next_cursor: null })), []);
  const items = list.data?.items ?? [];
  const presence = usePresence(items.map((d) => d.id));

  const search = (e: Event) => {
    e.preventDefault();
    setCursors([null]);
    setQuery({ prefix: form.prefix.trim(), tag: form.tag.trim(), group: form.group.trim() });
  };
  const clear = () => {
    const empty = { prefix: "", tag: "", group: "" };
    setForm(empty);
    setCursors([null]);
    setQuery(empty);
  };
  const filtered = query.prefix || query.tag || query.group;

  return (
    <>
      <h1 tabIndex={-1}>Devices</h1>
      <section aria-labelledby="search-h">
        <h2 id="search-h" class="visually-hidden">
          Search devices
        </h2>
        <form class="filters" role="search" aria-label="Devices" onSubmit={search}>
          <TextField label="Id starts with" value={form.prefix} onInput={(v) => setForm({ ...form, prefix: v })} mono />
          <TextField label="Tag" value={form.tag} onInput={(v) => setForm({ ...form, tag: v })} />
          <div class="field">
            <label for="group-filter">Group</label>
            <input id="group-filter" list="group-names" value={form.group} autoComplete="off" onInput={(e) => setForm({ ...form, group: e.currentTarget.value })} />
            <datalist id="group-names">
              {(groups.data?.items ?? []).map((g) => (
                <option key={g.name} value={g.name} />
              ))}
            </datalist>
          </div>
          <div class="actions">
            <button type="submit" class="primary">
              Search
            </button>
            {filtered && (
              <button type="button" onClick={clear}>
                Clear
              </button>
            )}
          </div>
        </form>
      </section>

      <section aria-labelledby="list-h">
        <h2 id="list-h">{filtered ? "Matching devices" : "All devices"}</h2>
        <ErrorNote error={list.error} what="The device list" />
        <ListBody state={list} count={items.length} empty={filtered ? "No device matches." : "No devices yet: register one below."}>
          <TableWrap label="Devices table">
            <table>
              <caption class="visually-hidden">Devices, {items.length} on this page, with live status</caption>
              <thead>
                <tr>
                  <th scope="col">Device</th>
                  <th scope="col">Name</th>
                  <th scope="col">Tags</th>
                  <th scope="col">Status</th>
                </tr>
              </thead>
              <tbody>
                {items.map((d) => (
                  <tr key={d.id} data-device={d.id}>
                    <th scope="row">
                      <a class="mono" href={hrefOf({ page: "device", id: d.id, tab: "shadow" })}>
                        {d.id}
                      </a>
                      {!d.enabled && <span class="badge offline"> disabled</span>}
                    </th>
                    <td>{d.name ?? <span class="muted">—</span>}</td>
                    <td>{d.tags.length ? d.tags.map((t) => <span key={t} class="tag">{t}</span>) : <span class="muted">—</span>}</td>
                    <td>
                      <StatusBadge status={presence[d.id]} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </ListBody>
        <div class="pager">
          {cursors.length > 1 && (
            <button type="button" onClick={() => setCursors(cursors.slice(0, -1))}>
              Previous page
            </button>
          )}
          {list.data?.next_cursor && (
            <button type="button" onClick={() => setCursors([...cursors, list.data?.next_cursor ?? null])}>
              Next page
            </button>
          )}
        </div>
      </section>

      <CreateDevice onCreated={() => list.reload()} />
    </>
  );
}
