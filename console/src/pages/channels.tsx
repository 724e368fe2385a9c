/** Channels (cross-device pub/sub): the list, creating one, and which devices are connected to each. */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import type { Channel, Page } from "../api/types";
import { useAsync } from "../components/use-async";
import { Done, ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { ConfirmButton } from "../components/confirm-button";
import { hrefOf } from "../lib/route";

function Members({ channel }: { channel: string }) {
  const base = `/v1/channels/${seg(channel)}/devices`;
  const list = useAsync(() => request<Page<{ device_id: string }>>("GET", base, { query: { limit: 100 } }), [channel]);
  const [device, setDevice] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const act = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
    list.reload();
  };
  const items = list.data?.items ?? [];
  return (
    <div class="members">
      <h3>Connected devices</h3>
      <ErrorNote error={list.error} />
      <ListBody state={list} count={items.length} empty="No device is connected to this channel.">
        <ul class="plain">
          {items.map((m) => (
            <li key={m.device_id}>
              <a class="mono" href={hrefOf({ page: "device", id: m.device_id, tab: "shadow" })}>
                {m.device_id}
              </a>{" "}
              <ConfirmButton label="Disconnect" name={`Disconnect ${m.device_id}`} confirm={`Disconnect ${m.device_id}`} onConfirm={() => act(() => request("DELETE", `${base}/${seg(m.device_id)}`))} />
            </li>
          ))}
        </ul>
      </ListBody>
      <form class="filters" onSubmit={(e) => {
        e.preventDefault();
        void act(() => request("PUT", `${base}/${seg(device.trim())}`)).then(() => setDevice(""));
      }}>
        <TextField label={`Connect a device to ${channel}`} value={device} onInput={setDevice} required mono placeholder="device id" />
        <div class="actions">
          <button type="submit">Connect</button>
        </div>
      </form>
      <ErrorNote error={error} />
    </div>
  );
}

/** The channels page (`#/channels`). */
export function ChannelsPage() {
  const list = useAsync(() => request<Page<Channel>>("GET", "/v1/channels", { query: { limit: 100 } }), []);
  const [open, setOpen] = useState<string | null>(null);
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<string | null>(null);

  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setCreated(null);
    try {
      const c = await request<Channel>("POST", "/v1/channels", { body: { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}) } });
      setCreated(c.id);
      setId("");
      setName("");
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const remove = async (channel: string) => {
    setError(undefined);
    try {
      await request("DELETE", `/v1/channels/${seg(channel)}`);
    } catch (err) {
      setError(err);
    }
    list.reload();
  };

  const items = list.data?.items ?? [];
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
              {open === c.id && <Members channel={c.id} />}
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
