/** Direct methods: call one on a connected device and show its answer, or why there is none. */
import { useState } from "preact/hooks";
import { ApiProblem, request, seg } from "../../api/client";
import type { JsonValue } from "../../api/types";
import { useFeatures } from "../../components/use-features";
import { ErrorNote, Unavailable } from "../../components/notes";
import { TextField } from "../../components/field";
import { JsonArea, useJsonText } from "../../components/json-area";
import { JsonView } from "../../components/json-view";

const PATH = "/v1/devices/{id}/methods/{name}";

/** A device's direct methods: call one and show the answer. */
export function MethodsSection({ id }: { id: string }) {
  const features = useFeatures();
  const [name, setName] = useState("");
  const payload = useJsonText("", { emptyAs: null });
  const [timeout, setTimeoutS] = useState("30");
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ status: number; payload: JsonValue } | null>(null);
  const [error, setError] = useState<unknown>(undefined);

  if (features && !features.has("post", PATH)) return <Unavailable what="Direct methods" />;

  const call = async (e: Event) => {
    e.preventDefault();
    if (!payload.parsed.ok) return;
    setBusy(true);
    setAnswer(null);
    setError(undefined);
    try {
      const body = { ...(payload.text.trim() ? { payload: payload.parsed.value } : {}), timeoutSeconds: Number(timeout) || 30 };
      setAnswer(await request<{ status: number; payload: JsonValue }>("POST", `/v1/devices/${seg(id)}/methods/${seg(name.trim())}`, { body }));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  const offline = error instanceof ApiProblem && error.slug === "device-offline";
  const timedOut = error instanceof ApiProblem && error.status === 504;
  return (
    <>
      <p class="muted">A direct method waits for the device's answer; the device must be connected.</p>
      <form class="stack" onSubmit={call}>
        <TextField label="Method name" value={name} onInput={setName} required mono pattern="[A-Za-z0-9_.:\-]{1,64}" />
        <JsonArea label="Payload (JSON, optional)" state={payload} rows={4} />
        <TextField label="Timeout in seconds" type="number" value={timeout} onInput={setTimeoutS} min={1} max={300} />
        <div class="actions">
          <button type="submit" class="primary" disabled={busy || !payload.parsed.ok}>
            {busy ? "Waiting for the device…" : "Call method"}
          </button>
        </div>
      </form>
      <div aria-live="polite" data-testid="method-answer">
        {answer && (
          <div class={answer.status >= 400 ? "note error" : "note ok"}>
            <p>
              The device answered with {answer.status >= 400 ? "an error, " : ""}status <strong>{answer.status}</strong>.
            </p>
            <JsonView label="Answer payload" value={answer.payload} />
          </div>
        )}
        {offline ? (
          <p class="note error" role="alert">
            The device is offline: it has no live connection to answer on.
          </p>
        ) : timedOut ? (
          <p class="note error" role="alert">
            No answer in time: the device did not respond within {timeout} s.
          </p>
        ) : (
          <ErrorNote error={error} what="Direct methods" />
        )}
      </div>
    </>
  );
}
