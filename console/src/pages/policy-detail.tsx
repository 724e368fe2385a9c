/** One policy: edit its statements, attach and detach it, and simulate a decision. */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import type { JsonValue, Page, Policy, PolicyAttachment } from "../api/types";
import { useAsync } from "../components/use-async";
import { Done, ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { JsonArea, useJsonText } from "../components/json-area";
import { ConfirmButton } from "../components/confirm-button";

const KINDS: PolicyAttachment["kind"][] = ["device", "group", "api-key", "oauth-client", "anonymous"];

interface Decision {
  allowed: boolean;
  statement: (Record<string, JsonValue> & { index: number }) | null;
  variables: Record<string, JsonValue>;
}

function Simulate({ id }: { id: string }) {
  const [who, setWho] = useState<"device" | "client">("device");
  const [principal, setPrincipal] = useState("");
  const [action, setAction] = useState("publish");
  const [topic, setTopic] = useState("");
  const [decision, setDecision] = useState<Decision | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setDecision(null);
    try {
      const p = who === "device" ? { deviceId: principal.trim() } : { clientId: principal.trim() };
      setDecision(await request<Decision>("POST", `/v1/policies/${seg(id)}/simulate`, { body: { principal: p, action, topic } }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="stack" onSubmit={run} aria-label={`Simulate policy ${id}`}>
      <h3>Simulate</h3>
      <div class="filters">
        <div class="field">
          <label for={`sim-who-${id}`}>Principal</label>
          <select id={`sim-who-${id}`} value={who} onChange={(e) => setWho(e.currentTarget.value as "device" | "client")}>
            <option value="device">A device</option>
            <option value="client">An app client</option>
          </select>
        </div>
        <TextField label={who === "device" ? "Device id" : "Client id"} value={principal} onInput={setPrincipal} required mono />
        <div class="field">
          <label for={`sim-action-${id}`}>Action</label>
          <select id={`sim-action-${id}`} value={action} onChange={(e) => setAction(e.currentTarget.value)}>
            <option>publish</option>
            <option>subscribe</option>
            <option>receive</option>
          </select>
        </div>
        <TextField label="Topic" value={topic} onInput={setTopic} required mono />
      </div>
      <div class="actions">
        <button type="submit">Simulate</button>
      </div>
      <ErrorNote error={error} />
      <div aria-live="polite">
        {decision && (
          <p class={`note ${decision.allowed ? "ok" : "error"}`}>
            <strong>{decision.allowed ? "Allowed" : "Denied"}</strong>
            {decision.statement ? ` by statement ${decision.statement.index + 1} (${String(decision.statement.effect)})` : " (no statement matches: denied by default)"}.
          </p>
        )}
      </div>
    </form>
  );
}

/** The opened policy: statements editor, attachments and simulator. */
export function PolicyDetail({ policy, onChanged }: { policy: Policy; onChanged: () => void }) {
  const base = `/v1/policies/${seg(policy.id)}`;
  const statements = useJsonText(JSON.stringify(policy.statements, null, 2), { what: "Statements" });
  const attachments = useAsync(() => request<Page<PolicyAttachment>>("GET", `${base}/attachments`, { query: { limit: 100 } }), [policy.id]);
  const [kind, setKind] = useState<PolicyAttachment["kind"]>("device");
  const [target, setTarget] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [done, setDone] = useState<string | null>(null);

  /** Runs `fn`, then reads the attachments again unless `refetch` is false (a deleted policy has none to read: 404). */
  const act = async (fn: () => Promise<unknown>, what: string, refetch = true) => {
    setError(undefined);
    setDone(null);
    try {
      await fn();
      setDone(what);
      if (!refetch) return;
    } catch (err) {
      setError(err);
    }
    attachments.reload();
  };
  const save = (e: Event) => {
    e.preventDefault();
    if (!statements.parsed.ok) return;
    const value = statements.parsed.value;
    void act(() => request("PUT", base, { body: { name: policy.name, statements: value } }), "Statements saved; live sessions follow at once.").then(onChanged);
  };
  const attach = (e: Event) => {
    e.preventDefault();
    const t = kind === "anonymous" ? "*" : target.trim();
    void act(() => request("PUT", `${base}/attachments/${kind}/${seg(t)}`), `Attached to ${kind} ${t}.`);
  };

  return (
    <div class="detail">
      <form class="stack" onSubmit={save}>
        <JsonArea label={`Statements of ${policy.id}`} state={statements} rows={8} />
        <div class="actions">
          <button type="submit" class="primary" disabled={!statements.parsed.ok}>
            Save statements
          </button>
          <ConfirmButton label="Delete policy" confirm={`Delete policy ${policy.id}`} onConfirm={() => act(() => request("DELETE", base), "Deleted.", false).then(onChanged)} />
        </div>
      </form>
      <h3>Attached to</h3>
      <ErrorNote error={attachments.error} />
      <ListBody state={attachments} count={(attachments.data?.items ?? []).length} empty="Not attached to anything.">
        <ul class="plain">
          {(attachments.data?.items ?? []).map((a) => (
            <li key={`${a.kind}/${a.id}`}>
              {a.kind} <span class="mono">{a.id}</span>{" "}
              <ConfirmButton label="Detach" name={`Detach ${a.kind} ${a.id}`} confirm={`Detach ${a.kind} ${a.id}`} onConfirm={() => act(() => request("DELETE", `${base}/attachments/${a.kind}/${seg(a.id)}`), "Detached.")} />
            </li>
          ))}
        </ul>
      </ListBody>
      <form class="filters" onSubmit={attach} aria-label={`Attach policy ${policy.id}`}>
        <div class="field">
          <label for={`attach-kind-${policy.id}`}>Attach to</label>
          <select id={`attach-kind-${policy.id}`} value={kind} onChange={(e) => setKind(e.currentTarget.value as PolicyAttachment["kind"])}>
            {KINDS.map((k) => (
              <option key={k} value={k}>
                {k}
              </option>
            ))}
          </select>
        </div>
        {kind !== "anonymous" && <TextField label="Id" value={target} onInput={setTarget} required mono />}
        <div class="actions">
          <button type="submit">Attach</button>
        </div>
      </form>
      <ErrorNote error={error} />
      {done && <Done>{done}</Done>}
      <Simulate id={policy.id} />
    </div>
  );
}
