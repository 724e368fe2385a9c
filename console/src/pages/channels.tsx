/** Channels (cross-device pub/sub): the list, creating one, and which devices are connected to each. */
import { useState } from "preact/hooks";
import { seg } from "../api/client";
import type { Channel } from "../api/types";
import { useCollection } from "../components/use-collection";
import { Done, ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { ConfirmButton } from "../components/confirm-button";
import { MemberList } from "../components/member-list";

/** The channels page (`#/channels`). */
export function ChannelsPage() {
  const { list, items, error, created, create: post, remove } = useCollection<Channel>("/v1/channels", (c) => c.id);
  const [open, setOpen] = useState<string | null>(null);
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const create = (e: Event) => {
    e.preventDefault();
    return post({ id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) }, () => {
      setId("");
      setName("");
    });
  };

  return (
    <>
      <h1 tabIndex={-1}>Channels</h1>
      <p class="muted">
        Devices connected to a channel may publish and subscribe on <code>channels/&lt;channel&gt;/messages/…</code>.
      </p>
      <ErrorNote error={list.error} what="Channels" />
      <ListBody state={list} count={items.length} empty="No channels yet.">
        <ul class="cards" aria-label="Channels">
          {items.map((c) => (
            <li key={c.id} class="card" data-channel={c.id}>
              <h2 class="card-title">
                <span class="mono">{c.id}</span> {c.name && <span class="muted">{c.name}</span>}
              </h2>
              <div class="row-actions">
                <button type="button" aria-expanded={open === c.id} onClick={() => setOpen(open === c.id ? null : c.id)}>
                  Members
                </button>
                <ConfirmButton label="Delete" name={`Delete channel ${c.id}`} confirm={`Delete channel ${c.id}`} onConfirm={() => remove(c.id)} />
              </div>
              {open === c.id && (
                <MemberList
                  base={`/v1/channels/${seg(c.id)}/devices`}
                  words={{ title: "Connected devices", empty: "No device is connected to this channel.", add: `Connect a device to ${c.id}`, addButton: "Connect", removeButton: "Disconnect" }}
                />
              )}
            </li>
          ))}
        </ul>
      </ListBody>
      <form class="stack" onSubmit={create} aria-labelledby="new-channel-h">
        <h2 id="new-channel-h">Create a channel</h2>
        <TextField label="Channel id" value={id} onInput={setId} required mono pattern="[A-Za-z0-9_.:\-]{1,128}" />
        <TextField label="Name (optional)" value={name} onInput={setName} />
        <ErrorNote error={error} />
        {created && <Done>Channel {created} created.</Done>}
        <div class="actions">
          <button type="submit" class="primary">
            Create channel
          </button>
        </div>
      </form>
    </>
  );
}
