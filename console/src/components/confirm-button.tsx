/** A destructive action that asks once more, in place, before it acts (no modal to trap focus). */
import { useEffect, useRef, useState } from "preact/hooks";

/**
 * @example <ConfirmButton label="Revoke" confirm="Revoke this token now" onConfirm={revoke} />
 */
export function ConfirmButton({ label, confirm, onConfirm, disabled, name }: { label: string; confirm: string; onConfirm: () => Promise<void> | void; disabled?: boolean; /** Accessible name when `label` alone is ambiguous (one per table row). */ name?: string }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const yes = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) yes.current?.focus();
  }, [asking]);
  if (!asking) {
    return (
      <button type="button" class="danger" disabled={disabled} aria-label={name} onClick={() => setAsking(true)}>
        {label}
      </button>
    );
  }
  return (
    <span class="confirm" role="group" aria-label={confirm}>
      <button type="button" ref={yes} class="danger" disabled={busy} onClick={async () => {
        setBusy(true);
        try {
          await onConfirm();
        } finally {
          setBusy(false);
          setAsking(false);
        }
      }}>
        {confirm}
      </button>
      <button type="button" onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}
