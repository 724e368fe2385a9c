/** Which devices belong to something (a channel, a group): the list, adding one by id, removing one. */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import type { Page } from "../api/types";
import { useAsync } from "./use-async";
import { useAction } from "./use-action";
import { ErrorNote } from "./notes";
import { ListBody } from "./list-body";
import { TextField } from "./field";
import { ConfirmButton } from "./confirm-button";
import { hrefOf } from "../lib/route";

/** Words for one kind of membership (a channel's devices are "connected", a group's "added"). */
export interface MemberWords {
  title: string;
  empty: string;
  /** The field's label, e.g. "Connect a device to kitchen". */
  add: string;
  addButton: string;
  removeButton: string;
}

/** The members at `base` (`GET`; `PUT` and `DELETE` `base/<deviceId>`), at most 100 listed. */
export function MemberList({ base, words }: { base: string; words: MemberWords }) {
  const list = useAsync(() => request<Page<{ device_id: string }>>("GET", base, { query: { limit: 100 } }), [base]);
  const [device, setDevice] = useState("");
  const { error, run: act } = useAction(list.reload);
  const items = list.data?.items ?? [];
  return (
    <div class="members">
      <h3>{words.title}</h3>
      <ErrorNote error={list.error} />
      <ListBody state={list} count={items.length} empty={words.empty}>
        <ul class="plain">
          {items.map((m) => (
            <li key={m.device_id}>
              <a class="mono" href={hrefOf({ page: "device", id: m.device_id, tab: "shadow" })}>
                {m.device_id}
              </a>{" "}
              <ConfirmButton
                label={words.removeButton}
                name={`${words.removeButton} ${m.device_id}`}
                confirm={`${words.removeButton} ${m.device_id}`}
                onConfirm={() => act(() => request("DELETE", `${base}/${seg(m.device_id)}`))}
              />
            </li>
          ))}
        </ul>
      </ListBody>
      <form class="filters" onSubmit={(e) => {
        e.preventDefault();
        void act(() => request("PUT", `${base}/${seg(device.trim())}`)).then(() => setDevice(""));
      }}>
        <TextField label={words.add} value={device} onInput={setDevice} required mono placeholder="device id" />
        <div class="actions">
          <button type="submit">{words.addButton}</button>
        </div>
      </form>
      <ErrorNote error={error} />
    </div>
  );
}
