/**
 * App credentials: API keys and OAuth clients (the same shape: a name, scopes, a secret shown
 * once, revocation). Both need the admin scope.
 */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import { toggled } from "../lib/sets";
import { SCOPES, type ApiKey, type OAuthClient, type Page } from "../api/types";
import { useAsync } from "../components/use-async";
import { useFeatures } from "../components/use-features";
import { ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { SecretOnce } from "../components/secret-once";
import { ConfirmButton } from "../components/confirm-button";
import { formatTime } from "../lib/format";
import { TableWrap } from "../components/table-wrap";

interface Kind<T> {
  title: string;
  noun: string;
  path: string;
  idOf: (x: T) => string;
  /** The secret in the create answer and what to call it. */
  secretOf: (created: Record<string, unknown>) => { label: string; value: string; extra?: { label: string; value: string } } | null;
}

const KEYS: Kind<ApiKey> = {
  title: "API keys",
  noun: "API key",
  path: "/v1/api-keys",
  idOf: (k) => k.id,
  secretOf: (c) => (typeof c.key === "string" ? { label: `API key ${String(c.name)}`, value: c.key } : null),
};

const CLIENTS: Kind<OAuthClient> = {
  title: "OAuth clients",
  noun: "OAuth client",
  path: "/v1/oauth-clients",
  idOf: (c) => c.client_id,
  secretOf: (c) => (typeof c.client_secret === "string" ? { label: `Client secret of ${String(c.client_id)}`, value: c.client_secret, extra: { label: "Client id", value: String(c.client_id) } } : null),
};

function AppCredentials<T extends ApiKey | OAuthClient>({ kind }: { kind: Kind<T> }) {
  const list = useAsync(() => request<Page<T>>("GET", kind.path, { query: { limit: 100 } }), [kind.path]);
  const [name, setName] = useState("");
  const [scopes, setScopes] = useState<Set<string>>(new Set(["devices:read"]));
  const [error, setError] = useState<unknown>(undefined);
  const [secret, setSecret] = useState<ReturnType<Kind<T>["secretOf"]>>(null);
  const slug = kind.path.split("/").pop() ?? "x";
  // The scopes this hub knows, from the schema that validates the form (a newer hub may have more).
  const known = useFeatures()?.bodyEnum("post", kind.path, "scopes") ?? [...SCOPES];

  const create = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      const c = await request<Record<string, unknown>>("POST", kind.path, { body: { name: name.trim(), scopes: [...scopes] } });
      setSecret(kind.secretOf(c));
      setName("");
      list.reload();
    } catch (err) {
      setError(err);
    }
  };
  const revoke = async (id: string) => {
    setError(undefined);
    try {
      await request("DELETE", `${kind.path}/${seg(id)}`);
    } catch (err) {
      setError(err);
    }
    list.reload();
  };

  const items = list.data?.items ?? [];
  return (
    <section aria-labelledby={`${slug}-h`}>
      <h2 id={`${slug}-h`}>{kind.title}</h2>
      <ErrorNote error={list.error} what={kind.title} />
      <ListBody state={list} count={items.length} empty="None yet.">
        <TableWrap label={`${kind.title} table`}>
          <table>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Id</th>
                <th scope="col">Scopes</th>
                <th scope="col">Created</th>
                <th scope="col">Status</th>
              </tr>
            </thead>
            <tbody>
              {items.map((x) => (
                <tr key={kind.idOf(x)}>
                  <th scope="row">{x.name}</th>
                  <td class="mono">{kind.idOf(x)}</td>
                  <td>{x.scopes.map((s) => <span key={s} class="tag">{s}</span>)}</td>
                  <td>{formatTime(x.created_at)}</td>
                  <td>
                    {x.revoked_at ? (
                      <span class="badge offline">revoked {formatTime(x.revoked_at)}</span>
                    ) : (
                      <ConfirmButton label="Revoke" name={`Revoke ${x.name}`} confirm={`Revoke ${x.name} now`} onConfirm={() => revoke(kind.idOf(x))} />
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </ListBody>
      <form class="stack" onSubmit={create} aria-label={`Create an ${kind.noun}`}>
        <h3>Create an {kind.noun}</h3>
        {secret && (
          <>
            {secret.extra && <p class="mono">{secret.extra.label}: {secret.extra.value}</p>}
            <SecretOnce label={secret.label} value={secret.value} onDismiss={() => setSecret(null)} />
          </>
        )}
        <TextField label="Name" value={name} onInput={setName} required />
        <fieldset>
          <legend>Scopes</legend>
          {known.map((s) => (
            <label key={s} class="choice">
              <input type="checkbox" checked={scopes.has(s)} onChange={(e) => setScopes(toggled(scopes, s, e.currentTarget.checked))} />{" "}
              {s}
            </label>
          ))}
        </fieldset>
        <ErrorNote error={error} what={kind.title} />
        <div class="actions">
          <button type="submit" class="primary" disabled={scopes.size === 0}>
            Create {kind.noun}
          </button>
        </div>
      </form>
    </section>
  );
}

/** The API keys page (`#/api-keys`): API keys and OAuth clients. */
export function KeysPage() {
  return (
    <>
      <h1 tabIndex={-1}>API keys</h1>
      <p class="muted">App credentials. A key or client holds scopes; the secret is shown once. Managing them needs the admin scope.</p>
      <AppCredentials kind={KEYS} />
      <AppCredentials kind={CLIENTS} />
    </>
  );
}
