/**
 * Rules: the list, a form to create one (SQL, scope, actions), and a test bench that evaluates
 * a rule against a sample input without side effects. A syntax error is shown at its line and
 * column, with the cursor put there.
 */
import { useRef, useState } from "preact/hooks";
import { ApiProblem, request, seg } from "../api/client";
import type { JsonValue, Page, Rule, RuleScope } from "../api/types";
import { useAsync } from "../components/use-async";
import { useAction } from "../components/use-action";
import { useFeatures } from "../components/use-features";
import { Done, ErrorNote, Unavailable } from "../components/notes";
import { ListBody } from "../components/list-body";
import { TextField } from "../components/field";
import { JsonArea, focusAt, useJsonText } from "../components/json-area";
import { ConfirmButton } from "../components/confirm-button";
import { RuleTester } from "./rule-tester";

/** A rule syntax error as the hub reports it: 400 with line, column and the offending token. */
export function syntaxError(err: unknown): { message: string; line: number; column: number; token?: string } | null {
  if (!(err instanceof ApiProblem) || err.status !== 400) return null;
  const { line, column, token } = err.body;
  if (typeof line !== "number" || typeof column !== "number") return null;
  // The detail repeats the position at its end; it is shown apart here.
  const message = (err.detail || "Syntax error").replace(/\s*\(line \d+, column \d+\)$/, "");
  return { message, line, column, token: typeof token === "string" ? token : undefined };
}

const scopeText = (s: RuleScope | undefined): string => {
  if (!s || s.kind === "all") return "All devices";
  if (s.kind === "group") return `Group ${s.group}`;
  if (s.kind === "tag") return `Tag ${s.tag}`;
  return `Device ${s.deviceId}`;
};

const ACTIONS_EXAMPLE = '[\n  {"type": "command", "name": "cool", "payload": {"level": 2}}\n]';

function CreateRule({ onCreated }: { onCreated: () => void }) {
  const [name, setName] = useState("");
  const [sql, setSql] = useState("SELECT temperature, deviceId() AS id FROM telemetry WHERE temperature > 30");
  const [scopeKind, setScopeKind] = useState<RuleScope["kind"]>("all");
  const [scopeValue, setScopeValue] = useState("");
  const actions = useJsonText(ACTIONS_EXAMPLE, { what: "Actions" });
  const [enabled, setEnabled] = useState(true);
  const [error, setError] = useState<unknown>(undefined);
  const [created, setCreated] = useState<Rule | null>(null);
  const sqlArea = useRef<HTMLTextAreaElement>(null);
  const syntax = syntaxError(error);

  const scope = (): RuleScope => {
    const v = scopeValue.trim();
    if (scopeKind === "group") return { kind: "group", group: v };
    if (scopeKind === "tag") return { kind: "tag", tag: v };
    if (scopeKind === "device") return { kind: "device", deviceId: v };
    return { kind: "all" };
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setCreated(null);
    if (!actions.parsed.ok) return;
    if (!Array.isArray(actions.parsed.value)) return setError(new Error("Actions must be a JSON array ([…])"));
    try {
      setCreated(await request<Rule>("POST", "/v1/rules", { body: { name: name.trim(), sql, scope: scope(), actions: actions.parsed.value as JsonValue[], enabled } }));
      onCreated();
    } catch (err) {
      setError(err);
      const s = syntaxError(err);
      if (s) focusAt(sqlArea.current, s.line, s.column);
    }
  };

  return (
    <form class="stack" onSubmit={submit} aria-labelledby="new-rule-h">
      <h2 id="new-rule-h">Create a rule</h2>
      <TextField label="Name" value={name} onInput={setName} required />
      <div class={`field${syntax ? " invalid" : ""}`}>
        <label for="rule-sql">SQL</label>
        <textarea id="rule-sql" ref={sqlArea} class="mono" rows={5} spellcheck={false} value={sql} onInput={(e) => setSql(e.currentTarget.value)} aria-invalid={syntax ? true : undefined} aria-describedby={syntax ? "rule-sql-error rule-sql-hint" : "rule-sql-hint"} />
        <p class="hint" id="rule-sql-hint">
          Sources: telemetry, shadow.reported, shadow.desired, presence, command.result. Stateful: <code>FOR 5m</code>, <code>WHEN … UNTIL …</code>, <code>COUNT(*) OVER 10m</code>.
        </p>
        {syntax && (
          <p class="field-error" id="rule-sql-error" role="alert" data-testid="sql-error">
            Line {syntax.line}, column {syntax.column}
            {syntax.token ? ` (at "${syntax.token}")` : ""}: {syntax.message}{" "}
            <button type="button" class="link" onClick={() => focusAt(sqlArea.current, syntax.line, syntax.column)}>
              Go to the mistake
            </button>
          </p>
        )}
      </div>
      <fieldset>
        <legend>Applies to</legend>
        <div class="filters">
          <div class="field">
            <label for="scope-kind">Scope</label>
            <select id="scope-kind" value={scopeKind} onChange={(e) => setScopeKind(e.currentTarget.value as RuleScope["kind"])}>
              <option value="all">All devices</option>
              <option value="group">A group</option>
              <option value="tag">A tag</option>
              <option value="device">One device</option>
            </select>
          </div>
          {scopeKind !== "all" && <TextField label={scopeKind === "group" ? "Group name" : scopeKind === "tag" ? "Tag" : "Device id"} value={scopeValue} onInput={setScopeValue} required mono />}
        </div>
      </fieldset>
      <JsonArea
        label="Actions (JSON array)"
        state={actions}
        rows={6}
        hint={<>Each one of: <code>{'{"type":"webhook","webhookId"}'}</code>, <code>{'{"type":"command","deviceId?","name","payload?"}'}</code>, <code>{'{"type":"shadow.desired","deviceId?","state"}'}</code>, <code>{'{"type":"publish","channel","subtopic?"}'}</code>.</>}
      />
      <label class="choice">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.currentTarget.checked)} /> Enabled
      </label>
      {!syntax && <ErrorNote error={error} what="Rules" />}
      {created && <Done>Rule {created.name} created ({created.id}).</Done>}
      <div class="actions">
        <button type="submit" class="primary" disabled={!actions.parsed.ok}>
          Create rule
        </button>
      </div>
    </form>
  );
}

/** The rules page (`#/rules`). */
export function RulesPage() {
  const features = useFeatures();
  const list = useAsync(() => request<Page<Rule>>("GET", "/v1/rules", { query: { limit: 100 } }), []);
  const [testing, setTesting] = useState<string | null>(null);
  const { error, run: act } = useAction(list.reload);

  if (features && !features.has("post", "/v1/rules")) {
    return (
      <>
        <h1 tabIndex={-1}>Rules</h1>
        <Unavailable what="Rules" />
      </>
    );
  }
  const items = list.data?.items ?? [];
  return (
    <>
      <h1 tabIndex={-1}>Rules</h1>
      <ErrorNote error={list.error} what="Rules" />
      <ErrorNote error={error} what="Rules" />
      <ListBody state={list} count={items.length} empty="No rules yet.">
        <ul class="cards" aria-label="Rules">
          {items.map((r) => (
            <li key={r.id} class="card" data-rule={r.id}>
              <h2 class="card-title">
                {r.name} <span class={`badge ${r.enabled ? "online" : "offline"}`}>{r.enabled ? "enabled" : "disabled"}</span>
              </h2>
              <p class="muted">
                {scopeText(r.scope)} · {r.actions.length} action{r.actions.length === 1 ? "" : "s"} · <span class="mono">{r.id}</span>
              </p>
              <pre class="json" tabIndex={0}>{r.sql}</pre>
              <div class="row-actions">
                <button type="button" onClick={() => act(() => request("PATCH", `/v1/rules/${seg(r.id)}`, { body: { enabled: !r.enabled } }))}>
                  {r.enabled ? "Disable" : "Enable"}
                </button>
                <button type="button" aria-expanded={testing === r.id} onClick={() => setTesting(testing === r.id ? null : r.id)}>
                  Test
                </button>
                <ConfirmButton label="Delete" name={`Delete rule ${r.name}`} confirm={`Delete rule ${r.name}`} onConfirm={() => act(() => request("DELETE", `/v1/rules/${seg(r.id)}`))} />
              </div>
              {testing === r.id && <RuleTester rule={r} />}
            </li>
          ))}
        </ul>
      </ListBody>
      <CreateRule onCreated={list.reload} />
    </>
  );
}
