/** Registering a device: id, name and tags; its first token is shown once. */
import { useState } from "preact/hooks";
import { request } from "../api/client";
import type { Device } from "../api/types";
import { TextField } from "../components/field";
import { ErrorNote } from "../components/notes";
import { SecretOnce } from "../components/secret-once";
import { hrefOf } from "../lib/route";

/** Tags typed as "a, b, c". */
export const splitList = (s: string): string[] => s.split(",").map((t) => t.trim()).filter(Boolean);

/** The "Register a device" form; calls `onCreated` after a device is registered. */
export function CreateDevice({ onCreated }: { onCreated: () => void }) {
  const [id, setId] = useState("");
  const [name, setName] = useState("");
  const [tags, setTags] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<{ device: Device; credential: { id: string; token: string } } | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const body = { id: id.trim(), ...(name.trim() ? { name: name.trim() } : {}), tags: splitList(tags) };
      const r = await request<{ device: Device; credential: { id: string; token: string } }>("POST", "/v1/devices", { body });
      setCreated(r);
      setId("");
      setName("");
      setTags("");
      onCreated();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <section aria-labelledby="create-h">
      <h2 id="create-h">Register a device</h2>
      {created && (
        <div class="created" data-created-device={created.device.id}>
          <p role="status">
            Registered <a href={hrefOf({ page: "device", id: created.device.id, tab: "shadow" })} class="mono">{created.device.id}</a>.
          </p>
          <SecretOnce label="Device token" value={created.credential.token} onDismiss={() => setCreated(null)} />
        </div>
      )}
      <form class="stack" onSubmit={submit}>
        <TextField label="Device id" value={id} onInput={setId} required mono pattern="[A-Za-z0-9_.:\-]{1,128}" hint="Letters, digits and _ . : - (at most 128)." />
        <TextField label="Name (optional)" value={name} onInput={setName} />
        <TextField label="Tags (optional)" value={tags} onInput={setTags} hint="Comma-separated, e.g. light, kitchen" />
        <ErrorNote error={error} />
        <div class="actions">
          <button type="submit" class="primary">
            Register device
          </button>
        </div>
      </form>
    </section>
  );
}
