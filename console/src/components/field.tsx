/** A labelled form control with its hint and error tied to it for assistive technology. */
import type { ComponentChildren, JSX } from "preact";
import { useId } from "preact/hooks";

interface FieldProps {
  label: string;
  hint?: ComponentChildren;
  error?: string | null;
  /** Renders the control, given the ids it must carry. */
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => JSX.Element;
}

/**
 * @example <Field label="Device id">{(p) => <input id={p.id} aria-describedby={p.describedBy} />}</Field>
 */
export function Field({ label, hint, error, children }: FieldProps) {
  const id = useId();
  const hintId = hint ? `${id}-hint` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(" ") || undefined;
  return (
    <div class={`field${error ? " invalid" : ""}`}>
      <label for={id}>{label}</label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && (
        <p class="hint" id={hintId}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={errorId} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** A text input inside a Field. */
export function TextField(props: { label: string; value: string; onInput: (v: string) => void; hint?: ComponentChildren; error?: string | null; required?: boolean; placeholder?: string; type?: "text" | "password" | "number" | "url"; mono?: boolean; autoComplete?: string; pattern?: string; min?: number; max?: number }) {
  return (
    <Field label={props.label} hint={props.hint} error={props.error}>
      {({ id, describedBy, invalid }) => (
        <input
          id={id}
          // Preact 11 types tie the allowed ARIA roles to each input type; no role is set here.
          type={(props.type ?? "text") as "text"}
          class={props.mono ? "mono" : undefined}
          value={props.value}
          required={props.required}
          placeholder={props.placeholder}
          autoComplete={props.autoComplete ?? "off"}
          pattern={props.pattern}
          min={props.min}
          max={props.max}
          aria-describedby={describedBy}
          aria-invalid={invalid || undefined}
          onInput={(e) => props.onInput(e.currentTarget.value)}
        />
      )}
    </Field>
  );
}
