/** A secret the hub shows once (device token, API key, webhook secret): copy it now. */
import { useId, useState } from "preact/hooks";

/**
 * Shows `value` read-only with a copy button and the warning that it will not be shown again.
 * @example <SecretOnce label="Device token" value={created.credential.token} />
 */
export function SecretOnce({ label, value, onDismiss }: { label: string; value: string; onDismiss?: () => void }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
    } catch {
      // Clipboard refused (no permission, or not a secure context): the field stays selectable.
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
  };
  return (
    <div class="secret" role="region" aria-label={`${label}, shown once`}>
      <label for={id}>{label}</label>
      <div class="row">
        <input id={id} class="mono" readOnly value={value} onFocus={(e) => e.currentTarget.select()} data-secret />
        <button type="button" onClick={copy}>
          {copied ? "Copied" : "Copy"}
        </button>
        {onDismiss && (
          <button type="button" class="quiet" onClick={onDismiss}>
            Done
          </button>
        )}
      </div>
      <p class="hint">Shown once: the hub keeps only a hash of it. Copy it now.</p>
    </div>
  );
}
