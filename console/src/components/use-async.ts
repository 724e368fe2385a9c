/** Loading data in a component: the value, the error, a loading flag and a way to load again. */
import { useCallback, useEffect, useRef, useState } from "preact/hooks";

/** The state `useAsync` returns. */
export interface Async<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  /** Loads again (keeping the old data on screen until the new arrives). */
  reload: () => void;
  /** Replaces the data locally (after a write whose answer is the new value). */
  setData: (v: T) => void;
}

/**
 * Runs `load` now and whenever `deps` change; a stale answer (deps changed meanwhile) is dropped.
 * @example const devices = useAsync(() => request<Page<Device>>("GET", "/v1/devices"), []);
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(undefined);
  const [loading, setLoading] = useState(true);
  const [tick, setTick] = useState(0);
  const latest = useRef(0);
  useEffect(() => {
    const run = ++latest.current;
    setLoading(true);
    load().then(
      (v) => {
        if (run !== latest.current) return;
        setData(v);
        setError(undefined);
        setLoading(false);
      },
      (e: unknown) => {
        if (run !== latest.current) return;
        setError(e);
        setLoading(false);
      },
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps -- the caller names the deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data, error, loading, reload, setData };
}
