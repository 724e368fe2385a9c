/**
 * Policies (which topics a principal may publish, subscribe or receive): the list, creating
 * one, and per policy its statements (edited as JSON), attachments and a simulator.
 */
import { useState } from "preact/hooks";
import { request } from "../api/client";
import type { JsonValue, Page, Policy } from "../api/types";
import { useAsync } from "../components/use-async";
import { Done, ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { JsonArea, useJsonText } from "../components/json-area";
import { PolicyDetail } from "./policy-detail";

const EXAMPLE = '[\n  {"effect": "allow", "actions": ["publish", "subscribe"], "topics": ["devices/${deviceId}/#"]}\n]';

function CreatePolicy({ onCreated }: { onCreated: () => void }) {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const statements = useJsonText(EXAMPLE, { what: "Statements" });
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setCreated(null);
    if (!statements.parsed.ok) return;
    try {
      const body: Record<string, JsonValue> = { statements: statements.parsed.value };
      if (id.trim()) body.id = id.trim();
      if (name.trim()) body.name = name.trim();
      const p = await request<Policy>("POST", "/v1/policies", { body });
      setCreated(p.id);
      setId("");
      setName("");
      onCreated();
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="stack" onSubmit={submit} aria-labelledby="new-policy-h">
      <h2 id="new-policy-h">Create a policy</h2>
      <TextField label="Policy id (optional)" value={id} onInput={setId} mono pattern="[A-Za-z0-9_.:\-]{1,128}" />
      <TextField label="Name (optional)" value={name} onInput={setName} />
      <JsonArea label="Statements (JSON array)" state={statements} rows={6} hint={<>Each: <code>{'{"effect": "allow"|"deny", "actions": [...], "topics": [...]}'}</code>; variables <code>{"${deviceId} ${clientId} ${group} ${channel} ${tag:k} ${attr:k}"}</code>.</>} />
      <ErrorNote error={error} what="Policies" />
      {created && <Done>Policy {created} created.</Done>}
      <div class="actions">
        <button type="submit" class="primary" disabled={!statements.parsed.ok}>
          Create policy
        </button>
      </div>
    </form>
  );
}

/** The policies page (`#/policies`). */
export function PoliciesPage() {
  const list = useAsync(() => request<Page<Policy>>("GET", "/v1/policies", { query: { limit: 100 } }), []);
  const [open, setOpen] = useState<string | null>(null);
  const items = list.data?.items ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Policies</h1>
      <p class="muted">Which MQTT topics a device, group, API key, OAuth client or anonymous client may use. Managing them needs the admin scope.</p>
      <ErrorNote error={list.error} what="Policies" />
      <ListBody state={list} count={items.length} empty="No policies yet.">
        <ul class="cards" aria-label="Policies">
          {items.map((p) => (
            <li key={p.id} class="card" data-policy={p.id}>
              <h2 class="card-title">
                <span class="mono">{p.id}</span> {p.name && <span class="muted">{p.name}</span>}
              </h2>
              <p class="muted">
                {p.statements.length} statement{p.statements.length === 1 ? "" : "s"}
              </p>
              <div class="row-actions">
                <button type="button" aria-expanded={open === p.id} onClick={() => setOpen(open === p.id ? null : p.id)}>
                  {open === p.id ? "Close" : "Open"}
                </button>
              </div>
              {open === p.id && <PolicyDetail policy={p} onChanged={list.reload} />}
            </li>
          ))}
        </ul>
      </ListBody>
      <CreatePolicy onCreated={list.reload} />
    </>
  );
}
