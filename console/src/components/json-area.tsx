/**
 * A JSON text area checked as the person types: a mistake is shown at its line and column,
 * with a button that puts the cursor there.
 */
import type { ComponentChildren } from "preact";
import { useId, useMemo, useRef, useState } from "preact/hooks";
import { describeError, parseJson, parseJsonObject, type Parsed } from "../lib/json-text";
import type { JsonValue } from "../api/types";

/** What the area holds: the text and what it parses to. */
export interface JsonText {
  text: string;
  setText: (t: string) => void;
  parsed: Parsed<JsonValue>;
}

/**
 * State for a JSON area. `object`: only an object is valid; `emptyAs`: the value of an empty text.
 * @example const payload = useJsonText("{}", { emptyAs: null });
 */
export function useJsonText(initial: string, opts: { object?: boolean; emptyAs?: JsonValue; what?: string } = {}): JsonText {
  const [text, setText] = useState(initial);
  const parsed = useMemo<Parsed<JsonValue>>(() => (opts.object && !(text.trim() === "" && opts.emptyAs !== undefined) ? parseJsonObject(text, opts.what) : parseJson(text, opts.emptyAs)), [text, opts.object, opts.emptyAs, opts.what]);
  return { text, setText, parsed };
}

/** Offset of 1-based `line`/`column` in `text`. */
function offsetAt(text: string, line: number, column: number): number {
  const lines = text.split("\n");
  return lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0) + column - 1;
}

/** Puts the cursor of `area` at `line`/`column` and focuses it. */
export function focusAt(area: HTMLTextAreaElement | null, line: number, column: number): void {
  if (!area) return;
  const at = offsetAt(area.value, line, column);
  area.focus();
  area.setSelectionRange(at, Math.min(at + 1, area.value.length));
}

/** The text area of a `useJsonText` state, labelled, with its error. */
export function JsonArea({ label, state, rows = 8, hint, extraError }: { label: string; state: JsonText; rows?: number; hint?: ComponentChildren; extraError?: { message: string; line?: number; column?: number } | null }) {
  const id = useId();
  const area = useRef<HTMLTextAreaElement>(null);
  const err = !state.parsed.ok ? state.parsed : (extraError ?? null);
  const hintId = hint ? `${id}-hint` : undefined;
  const errId = err ? `${id}-err` : undefined;
  return (
    <div class={`field${err ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      <textarea
        id={id}
        ref={area}
        class="mono"
        rows={rows}
        spellcheck={false}
        value={state.text}
        aria-invalid={err ? true : undefined}
        aria-describedby={[hintId, errId].filter(Boolean).join(" ") || undefined}
        onInput={(e) => state.setText(e.currentTarget.value)}
      />
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {err && (
        <p class="field-error" id={errId} role="alert">
          {describeError(err)}{" "}
          {err.line !== undefined && (
            <button type="button" class="link" onClick={() => focusAt(area.current, err.line ?? 1, err.column ?? 1)}>
              Go to the mistake
            </button>
          )}
        </p>
      )}
    </div>
  );
}
