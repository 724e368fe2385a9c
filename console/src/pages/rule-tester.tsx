/** Evaluating a rule against a sample input (`POST /v1/rules/{id}/test`): no side effects. */
import { useState } from "preact/hooks";
import { request, seg } from "../api/client";
import type { JsonValue, Rule } from "../api/types";
import { ErrorNote } from "../components/notes";
import { JsonArea, useJsonText } from "../components/json-area";
import { JsonView } from "../components/json-view";

const SAMPLE = '{\n  "source": "telemetry",\n  "data": {"temperature": 31}\n}';

/** The test bench of `rule`. */
export function RuleTester({ rule }: { rule: Rule }) {
  const input = useJsonText(SAMPLE, { object: true, what: "The input" });
  const [result, setResult] = useState<{ fired: boolean; outputs: JsonValue[] } | null>(null);
  const [error, setError] = useState<unknown>(undefined);
  const run = async (e: Event) => {
    e.preventDefault();
    if (!input.parsed.ok) return;
    setError(undefined);
    setResult(null);
    try {
      setResult(await request<{ fired: boolean; outputs: JsonValue[] }>("POST", `/v1/rules/${seg(rule.id)}/test`, { body: { input: input.parsed.value } }));
    } catch (err) {
      setError(err);
    }
  };
  return (
    <form class="stack tester" onSubmit={run} aria-label={`Test rule ${rule.name}`}>
      <JsonArea label="Input: {source, data, ts?, topic?}" state={input} rows={5} />
      <div class="actions">
        <button type="submit" class="primary" disabled={!input.parsed.ok}>
          Run test
        </button>
      </div>
      <ErrorNote error={error} what="Rule tests" />
      <div aria-live="polite">
        {result && (
          <div class={`note ${result.fired ? "ok" : ""}`} data-testid="rule-test-result">
            <p>{result.fired ? `The rule fires, with ${result.outputs.length} output${result.outputs.length === 1 ? "" : "s"}.` : "The rule does not fire on this input."}</p>
            {result.outputs.length > 0 && <JsonView label="Outputs" value={result.outputs} />}
          </div>
        )}
      </div>
    </form>
  );
}
