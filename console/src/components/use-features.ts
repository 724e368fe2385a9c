/** The hub's features (from /openapi.json) in a component; undefined until loaded. */
import { useEffect, useState } from "preact/hooks";
import { loadFeatures, type Features } from "../api/features";

/** Features of the hub; re-renders once `/openapi.json` has been read. */
export function useFeatures(): Features | undefined {
  const [f, setF] = useState<Features | undefined>(undefined);
  useEffect(() => {
    let live = true;
    void loadFeatures().then((x) => live && setF(x));
    return () => {
      live = false;
    };
  }, []);
  return f;
}
