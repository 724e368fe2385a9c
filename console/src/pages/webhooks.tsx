/**
 * Webhooks: the list, a form to create one (its signing secret shown once), and each one's
 * delivery log. Event names come from the hub's own schema when it declares them.
 */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import { toggled } from "../lib/sets";
import type { Page, Webhook } from "../api/types";
import { useAsync } from "../components/use-async";
import { useAction } from "../components/use-action";
import { useFeatures } from "../components/use-features";
import { ErrorNote, Unavailable } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { SecretOnce } from "../components/secret-once";
import { ConfirmButton } from "../components/confirm-button";
import { Deliveries } from "./webhook-deliveries";
import { splitList } from "./device-create";

function CreateWebhook({ events, onCreated }: { events: string[] | null; onCreated: () => void }) {
  const [url, setUrl] = useState("");
  const [chosen, setChosen] = useState<Set<string>>(new Set());
  const [typed, setTyped] = useState("");
  const [filterKind, setFilterKind] = useState<"" | "deviceId" | "group" | "tag">("");
  const [filterValue, setFilterValue] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [secret, setSecret] = useState<{ id: string; secret: string } | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    const list = events ? [...chosen] : splitList(typed);
    // Said here, next to the boxes, rather than after a round trip to the hub's 400.
    if (list.length === 0) return setError(new Error("Choose at least one event for the webhook."));
    try {
      const body = { url: url.trim(), events: list, ...(filterKind ? { filter: { [filterKind]: filterValue.trim() } } : {}) };
      const w = await request<Webhook & { secret?: string }>("POST", "/v1/webhooks", { body });
      setSecret(w.secret ? { id: w.id, secret: w.secret } : null);
      setUrl("");
      setChosen(new Set());
      onCreated();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="stack" onSubmit={submit} aria-labelledby="new-webhook-h">
      <h2 id="new-webhook-h">Create a webhook</h2>
      {secret && <SecretOnce label={`Signing secret of ${secret.id}`} value={secret.secret} onDismiss={() => setSecret(null)} />}
      <TextField label="URL" type="url" value={url} onInput={setUrl} required mono placeholder="https://example.com/umbra" hint="http(s) only; private and loopback addresses are refused when deployed." />
      {events ? (
        <fieldset>
          <legend>Events</legend>
          {events.map((ev) => (
            <label key={ev} class="choice">
              <input type="checkbox" checked={chosen.has(ev)} onChange={(e) => setChosen(toggled(chosen, ev, e.currentTarget.checked))} />{" "}
              {ev}
            </label>
          ))}
        </fieldset>
      ) : (
        <TextField label="Events" value={typed} onInput={setTyped} required hint="Comma-separated event names, e.g. telemetry, presence" />
      )}
      <div class="filters">
        <div class="field">
          <label for="webhook-filter">Devices</label>
          <select id="webhook-filter" value={filterKind} onChange={(e) => setFilterKind(e.currentTarget.value as typeof filterKind)}>
            <option value="">Every device</option>
            <option value="deviceId">One device</option>
            <option value="group">A group's members</option>
            <option value="tag">Devices with a tag</option>
          </select>
        </div>
        {filterKind && <TextField label={filterKind === "deviceId" ? "Device id" : filterKind === "group" ? "Group name" : "Tag"} value={filterValue} onInput={setFilterValue} required mono />}
      </div>
      <ErrorNote error={error} what="Webhooks" />
      <div class="actions">
        <button type="submit" class="primary">
          Create webhook
        </button>
      </div>
    </form>
  );
}

/** The webhooks page (`#/webhooks`). */
export function WebhooksPage() {
  const features = useFeatures();
  const list = useAsync(() => request<Page<Webhook>>("GET", "/v1/webhooks", { query: { limit: 100 } }), []);
  const [open, setOpen] = useState<string | null>(null);
  const [rotated, setRotated] = useState<{ id: string; secret: string } | null>(null);
  const rotatePath = features?.find("post", /^\/v1\/webhooks\/\{[^}]+\}\/.*rotate/) ?? null;

  if (features && !features.has("post", "/v1/webhooks")) {
    return (
      <>
        <h1 tabIndex={-1}>Webhooks</h1>
        <Unavailable what="Webhooks" />
      </>
    );
  }
  const { error, run: act } = useAction(list.reload);
  const rotate = (id: string) => act(async () => {
    if (!rotatePath) return;
    const r = await request<{ secret?: string }>("POST", rotatePath.replace(/\{[^}]+\}/, seg(id)));
    if (r?.secret) setRotated({ id, secret: r.secret });
  });
  const items = list.data?.items ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Webhooks</h1>
      <ErrorNote error={list.error} what="Webhooks" />
      <ErrorNote error={error} what="Webhooks" />
      {rotated && <SecretOnce label={`New signing secret of ${rotated.id}`} value={rotated.secret} onDismiss={() => setRotated(null)} />}
      <ListBody state={list} count={items.length} empty="No webhooks yet.">
        <ul class="cards" aria-label="Webhooks">
          {items.map((w) => {
            const off = w.enabled === false;
            return (
              <li key={w.id} class="card" data-webhook={w.id}>
                <h2 class="card-title mono">{w.url}</h2>
                <p class="muted">
                  <span class={`badge ${off ? "offline" : "online"}`}>{off ? "disabled" : "active"}</span> {w.events.join(", ")}
                  {w.filter ? <> · only {Object.entries(w.filter).map(([k, v]) => `${k} ${String(v)}`).join(", ")}</> : null} · <span class="mono">{w.id}</span>
                </p>
                {off && w.disabled_reason && <p class="note">{w.disabled_reason}</p>}
                <div class="row-actions">
                  <button type="button" aria-expanded={open === w.id} onClick={() => setOpen(open === w.id ? null : w.id)}>
                    Delivery log
                  </button>
                  <button type="button" onClick={() => act(() => request("PATCH", `/v1/webhooks/${seg(w.id)}`, { body: { enabled: off } }))}>
                    {off ? "Enable" : "Disable"}
                  </button>
                  {rotatePath && (
                    <button type="button" onClick={() => rotate(w.id)}>
                      Rotate secret
                    </button>
                  )}
                  <ConfirmButton label="Delete" name={`Delete webhook ${w.url}`} confirm="Delete this webhook" onConfirm={() => act(() => request("DELETE", `/v1/webhooks/${seg(w.id)}`))} />
                </div>
                {open === w.id && <Deliveries id={w.id} />}
              </li>
            );
          })}
        </ul>
      </ListBody>
      <CreateWebhook events={features?.bodyEnum("post", "/v1/webhooks", "events") ?? null} onCreated={list.reload} />
    </>
  );
}
