/** A write from a page (create, delete, enable…): its error shown, the list read again after it. */
import { useState } from "preact/hooks";

/** What {@link useAction} gives: the last action's error, and a way to run one. */
export interface Action {
  error: unknown;
  setError: (e: unknown) => void;
  /** Runs `fn`; a failure becomes `error` (cleared when the next action starts); then `after` runs either way. */
  run: (fn: () => Promise<unknown>) => Promise<void>;
}

/**
 * @example const { error, run } = useAction(list.reload); <button onClick={() => run(() => request("DELETE", path))}>
 */
export function useAction(after?: () => void): Action {
  const [error, setError] = useState<unknown>(undefined);
  const run = async (fn: () => Promise<unknown>) => {
    setError(undefined);
    try {
      await fn();
    } catch (err) {
      setError(err);
    }
    after?.();
  };
  return { error, setError, run };
}
