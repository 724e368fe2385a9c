/**
 * Sign-in: a bearer token (the admin token or an API key) or an OAuth client's id and secret.
 * The credential is checked against the hub before it is kept, and kept in this tab's
 * sessionStorage only.
 */
import { useState } from "preact/hooks";
import { ApiProblem, request, signIn } from "../api/client";
import { fetchAccessToken } from "../api/session";
import { TextField } from "../components/field";
import { errorText } from "../components/notes";

type Kind = "token" | "oauth";

/** Checks a bearer token: 401 is refused; 403 (a key without devices:read) is still a valid key. */
async function checkToken(token: string): Promise<void> {
  try {
    await request("GET", "/v1/devices", { token, query: { limit: 1 } });
  } catch (err) {
    if (err instanceof ApiProblem && err.status === 403) return;
    if (err instanceof ApiProblem && err.status === 401) throw new Error("The hub does not accept this token (unknown, revoked or expired).");
    throw err;
  }
}

/** The sign-in page; `reason` says why the last session ended, if it did. */
export function SignIn({ reason }: { reason?: string }) {
  const [kind, setKind] = useState<Kind>("token");
  const [token, setToken] = useState("");
  const [clientId, setClientId] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (kind === "token") {
        const t = token.trim();
        await checkToken(t);
        signIn({ kind: "token", token: t });
      } else {
        signIn(await fetchAccessToken(clientId.trim(), secret.trim()));
      }
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="sign-in">
      <h1>Sign in to Umbra</h1>
      {reason && (
        <p class="note error" role="alert">
          {reason}
        </p>
      )}
      <form onSubmit={submit} aria-describedby="sign-in-note">
        <fieldset>
          <legend>Sign in with</legend>
          <label class="choice">
            <input type="radio" name="kind" value="token" checked={kind === "token"} onChange={() => setKind("token")} /> An API key or the admin token
          </label>
          <label class="choice">
            <input type="radio" name="kind" value="oauth" checked={kind === "oauth"} onChange={() => setKind("oauth")} /> An OAuth client (client credentials)
          </label>
        </fieldset>
        {kind === "token" ? (
          <TextField label="API key or admin token" type="password" value={token} onInput={setToken} required mono autoComplete="off" hint={<>The admin token is in <code>.dev.vars</code>; <code>npm start</code> prints it.</>} />
        ) : (
          <>
            <TextField label="Client id" value={clientId} onInput={setClientId} required mono placeholder="client_…" />
            <TextField label="Client secret" type="password" value={secret} onInput={setSecret} required mono autoComplete="off" />
          </>
        )}
        {error && (
          <p class="note error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
        <p class="hint" id="sign-in-note">
          The credential is kept in this tab's session storage only (no cookie, nothing saved on disk); closing the tab or signing out forgets it.
          An OAuth token is renewed before it expires.
        </p>
      </form>
    </main>
  );
}
