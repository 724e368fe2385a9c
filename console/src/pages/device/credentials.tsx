/**
 * A device's tokens: issue another, rotate one (the old keeps working for a grace period),
 * revoke one at once. New tokens are shown once.
 */
import { useState } from "preact/hooks";
import { request, seg } from "../../api/client";
import type { Credential, Page } from "../../api/types";
import { useAsync } from "../../components/use-async";
import { useAction } from "../../components/use-action";
import { ErrorNote } from "../../components/notes";
import { ListBody } from "../../components/list-body";
import { SecretOnce } from "../../components/secret-once";
import { ConfirmButton } from "../../components/confirm-button";
import { formatTime } from "../../lib/format";
import { TableWrap } from "../../components/table-wrap";

type NewCredential = Credential & { token: string };

/** A device's credentials: issue, rotate, revoke. */
export function CredentialsSection({ id }: { id: string }) {
  const base = `/v1/devices/${seg(id)}/credentials`;
  const list = useAsync(() => request<Page<Credential>>("GET", base, { query: { limit: 100 } }), [id]);
  const [fresh, setFresh] = useState<{ label: string; token: string } | null>(null);
  const [grace, setGrace] = useState("60");

  const { error, run: act } = useAction(list.reload);
  const issue = () => act(async () => {
    const c = await request<NewCredential>("POST", base);
    setFresh({ label: `New token ${c.id}`, token: c.token });
  });
  const rotate = (credId: string) => act(async () => {
    const r = await request<{ credential: NewCredential; previous: Credential }>("POST", `${base}/${seg(credId)}/rotate`, { body: { grace_seconds: Number(grace) || 0 } });
    setFresh({ label: `Token ${r.credential.id}, replacing ${credId}`, token: r.credential.token });
  });
  const revoke = (credId: string) => act(async () => {
    await request("DELETE", `${base}/${seg(credId)}`);
  });

  const items = list.data?.items ?? [];
  return (
    <>
      {fresh && <SecretOnce label={fresh.label} value={fresh.token} onDismiss={() => setFresh(null)} />}
      <div class="filters">
        <div class="actions">
          <button type="button" class="primary" onClick={issue}>
            Issue a new token
          </button>
        </div>
        <div class="field">
          <label for="grace">Grace period when rotating (seconds)</label>
          <input id="grace" type="number" min={0} max={2_592_000} value={grace} onInput={(e) => setGrace(e.currentTarget.value)} aria-describedby="grace-hint" />
          <p class="hint" id="grace-hint">
            The replaced token keeps working this long (0: it stops at once).
          </p>
        </div>
      </div>
      <ErrorNote error={error} />
      <ErrorNote error={list.error} what="Credentials" />
      <ListBody state={list} count={items.length} empty="No credentials.">
        <TableWrap label="Credentials table">
          <table>
            <thead>
              <tr>
                <th scope="col">Credential</th>
                <th scope="col">Status</th>
                <th scope="col">Created</th>
                <th scope="col">Expires</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-credential={c.id}>
                  <th scope="row" class="mono">
                    {c.id}
                  </th>
                  <td>
                    <span class={`badge cred-${c.status}`}>{c.status}</span>
                  </td>
                  <td>{formatTime(c.created_at)}</td>
                  <td>{c.revoked_at ? `revoked ${formatTime(c.revoked_at)}` : formatTime(c.expires_at)}</td>
                  <td class="row-actions">
                    {(c.status === "active" || c.status === "expiring") && (
                      <>
                        <button type="button" onClick={() => rotate(c.id)} aria-label={`Rotate ${c.id}`}>
                          Rotate
                        </button>
                        <ConfirmButton label="Revoke" name={`Revoke ${c.id}`} confirm={`Revoke ${c.id} now`} onConfirm={() => revoke(c.id)} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
      </ListBody>
    </>
  );
}
