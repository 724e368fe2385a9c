/**
 * A shadow: its delta (what desired asks that reported does not show yet) marked in both
 * sections, and desired state edited as a whole JSON document — saved as the merge patch that
 * produces it, with the version it was loaded at, so a concurrent change is a 409, not lost.
 * A 409 from a change that left desired alone (a device reporting) is saved again at the new
 * version ({@link saveDesired}).
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { ApiProblem, request } from "../../api/client";
import type { EventBus } from "../../api/event-bus";
import type { JsonObject, ShadowDocument } from "../../api/types";
import { useAsync } from "../../components/use-async";
import { Done, ErrorNote, Loading } from "../../components/notes";
import { JsonArea, useJsonText } from "../../components/json-area";
import { JsonView } from "../../components/json-view";
import { desiredPatch } from "../../lib/desired-patch";
import { desiredChanged, saveDesired } from "../../lib/shadow-save";
import { formatPath, leafPaths } from "../../lib/json-diff";
import { formatTime } from "../../lib/format";
import { changedAt, isShadowEvent, readShadow, shadowPath } from "./shadow-api";
import { ShadowPicker } from "./shadow-picker";

const pretty = (o: JsonObject | undefined) => JSON.stringify(o ?? {}, null, 2);

/** A device's shadow: delta, desired and reported, and the desired editor; kept live by `bus`. */
export function ShadowSection({ id, bus }: { id: string; bus: EventBus }) {
  const [name, setName] = useState("");
  const shadow = useAsync(() => readShadow(id, name), [id, name]);
  const doc: ShadowDocument | null = shadow.data ?? null;
  const desired = doc?.state?.desired;
  const delta = doc?.state?.delta;
  const changed = useAsync(() => (doc ? changedAt(id, name, doc) : Promise.resolve(null)), [id, name, doc?.version]);
  const marked = delta ? leafPaths(delta) : [];

  // The editor starts from the version it was loaded at; background changes do not overwrite typing.
  const editor = useJsonText("{}", { object: true, what: "Desired state" });
  const [base, setBase] = useState<{ version: number | undefined; desired: JsonObject | undefined } | null>(null);
  const [saveError, setSaveError] = useState<unknown>(undefined);
  const [saved, setSaved] = useState<string | null>(null);
  const dirty = base !== null && editor.text !== pretty(base.desired);
  // After a save the editor takes the stored document as it comes back.
  const resync = useRef(false);

  const startFrom = (d: ShadowDocument | null) => {
    setBase({ version: d?.version, desired: d?.state?.desired });
    editor.setText(pretty(d?.state?.desired));
  };
  useEffect(() => {
    if (shadow.data === undefined) return;
    if (base === null || !dirty || resync.current) startFrom(shadow.data);
    resync.current = false;
    // eslint-disable-next-line react-hooks/exhaustive-deps -- follow new data only
  }, [shadow.data]);
  useEffect(() => bus.on((e) => isShadowEvent(e, name) && shadow.reload()), [bus, name]);
  useEffect(() => bus.onOpen(shadow.reload), [bus]);

  const save = async (e: Event) => {
    e.preventDefault();
    setSaveError(undefined);
    setSaved(null);
    if (!editor.parsed.ok || base === null) return;
    const patch = desiredPatch(base.desired, editor.parsed.value as JsonObject);
    if (Object.keys(patch).length === 0) {
      setSaved("Nothing to save: desired state is unchanged.");
      return;
    }
    try {
      const next = await saveDesired(base, {
        send: (version) => request<ShadowDocument>("POST", shadowPath(id, name), { body: { state: { desired: patch }, ...(version !== undefined ? { version } : {}) } }),
        read: () => readShadow(id, name),
        isConflict: (err) => err instanceof ApiProblem && err.status === 409,
      });
      setSaved(`Saved: version ${next.version ?? "?"}.`);
      resync.current = true;
      shadow.reload();
    } catch (err) {
      setSaveError(err);
    }
  };

  const conflict = saveError instanceof ApiProblem && saveError.status === 409;
  // Only a change to desired state makes saving a conflict; reported-only changes are saved over.
  const behind = doc?.version !== undefined && base !== null && base.version !== undefined && doc.version !== base.version && desiredChanged(base, doc);
  return (
    <>
      <ShadowPicker id={id} value={name} onChange={setName} />
      <ErrorNote error={shadow.error} what="Shadows" />
      {shadow.data === undefined ? (
        shadow.error ? null : <Loading />
      ) : (
        <>
          <p class="muted">
            {doc ? (
              <>
                Version <strong data-testid="shadow-version">{doc.version}</strong>, last changed {changed.loading ? "…" : changed.error ? formatTime(doc.timestamp) : formatTime(changed.data)}
              </>
            ) : (
              "This shadow has no state yet: set desired state below to create it."
            )}
          </p>
          {doc && (
            <div class={`delta ${delta ? "open" : "clear"}`} data-testid="delta" data-state={delta ? "open" : "clear"} aria-live="polite">
              {delta ? (
                <>
                  <h3>Delta: desired state the device has not reported yet</h3>
                  <ul>
                    {marked.map((p) => (
                      <li key={p.join("\u0000")} class="mono">
                        {formatPath(p)}
                      </li>
                    ))}
                  </ul>
                </>
              ) : (
                <h3>In sync: reported state matches desired state</h3>
              )}
            </div>
          )}
          <div class="columns">
            <JsonView label="Desired" value={desired} marked={marked} />
            <JsonView label="Reported" value={doc?.state?.reported} marked={marked} />
          </div>
        </>
      )}
      <form class="stack" onSubmit={save} aria-labelledby="desired-h">
        <h3 id="desired-h">Edit desired state</h3>
        <JsonArea
          label="Desired state (JSON object)"
          state={editor}
          rows={10}
          hint="The whole desired document: fields you remove are deleted (sent as null), the rest is merged."
        />
        {behind && !conflict && (
          <p class="note" role="status">
            Desired state changed (now version {doc?.version}) since you started editing (version {base?.version}). Saving will be refused; reload first.
          </p>
        )}
        {conflict ? (
          <p class="note error" role="alert">
            Version conflict: the shadow changed since you loaded it. Your text is kept; reload desired state to start from the current version.
          </p>
        ) : (
          <ErrorNote error={saveError} />
        )}
        {saved && <Done>{saved}</Done>}
        <div class="actions">
          <button type="submit" class="primary" disabled={!editor.parsed.ok}>
            Save desired state
          </button>
          <button type="button" onClick={() => { setSaveError(undefined); setSaved(null); startFrom(doc); }}>
            Reload desired state
          </button>
        </div>
      </form>
    </>
  );
}
