/**
 * Telemetry over a chosen range, in chosen buckets, on a uPlot chart that grows as samples
 * arrive on the live stream. Uses the hub's history API when it has one, raw rows otherwise.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { EventBus } from "../../api/event-bus";
import { useAsync } from "../../components/use-async";
import { useFeatures } from "../../components/use-features";
import { ErrorNote, Loading } from "../../components/notes";
import { RangeSelect } from "../../components/range-select";
import { Chart } from "../../components/chart";
import { KeyPicker } from "../../components/key-picker";
import { autoBucket, fitBucketChoice, formatBucket, offeredBuckets, type Sample } from "../../lib/buckets";
import { historyBuckets, MAX_RAW_ROWS, rawSamples, rawSeries, sampleOf } from "./telemetry-data";
import { drawable, loadKey, telemetryNote } from "./telemetry-view";

/** Up to this many raw samples are drawn one point each when the bucket is "auto". */
const RAW_POINTS = 500;

/** A device's telemetry chart, over a chosen range and bucket width, fed live by `bus`. */
export function TelemetrySection({ id, bus }: { id: string; bus: EventBus }) {
  const features = useFeatures();
  const history = features?.hasParam("get", "/v1/devices/{id}/telemetry", "bucket") ?? false;
  const [rangeMs, setRangeMs] = useState(3_600_000);
  const [bucketChoice, setBucketChoice] = useState<"auto" | number>("auto");
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const [since, setSince] = useState(() => Date.now() - rangeMs);
  const [tick, setTick] = useState(0);
  const histBucket = bucketChoice === "auto" ? autoBucket(rangeMs) : bucketChoice;
  const key = loadKey(id, rangeMs, histBucket, history);
  // A width chosen for a short range may not be offered for a longer one: back to automatic.
  const chooseRange = (ms: number) => {
    setRangeMs(ms);
    setBucketChoice((c) => fitBucketChoice(c, ms));
  };

  const loaded = useAsync(async () => {
    const from = Date.now() - rangeMs;
    setSince(from);
    if (features === undefined) return null;
    if (history && histBucket > 0) return { kind: "history" as const, key, ...(await historyBuckets(id, from, Date.now() + 60_000, histBucket)) };
    return { kind: "raw" as const, key, ...(await rawSamples(id, from, Date.now() + 86_400_000)) };
  }, [id, rangeMs, histBucket, history, features, tick]);

  // Raw mode: samples from the stream join those read; history mode: read again, at most every 2 s.
  const [live, setLive] = useState<Sample[]>([]);
  useEffect(() => bus.onOpen(() => setTick((t) => t + 1)), [bus]);
  useEffect(() => setLive([]), [loaded.data]);
  const refetch = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    const off = bus.on((e) => {
      if (e.type !== "telemetry") return;
      const s = sampleOf(e.data);
      if (!s || s.ts < since) return;
      if (loaded.data?.kind === "history") {
        refetch.current ??= setTimeout(() => {
          refetch.current = undefined;
          setTick((t) => t + 1);
        }, 2_000);
      } else setLive((l) => [...l, s]);
    });
    // Only `off` here: a read that lands must not cancel one asked for after it started (it may
    // not hold the newest sample). The pending read is dropped only when the view goes.
    return off;
  }, [bus, since, loaded.data]);
  useEffect(() => () => clearTimeout(refetch.current), []);

  const current = drawable(loaded.data, loaded.error, key);
  const view = useMemo(() => {
    const d = current;
    if (!d) return null;
    if (d.kind === "history") return { ...d, bucket: histBucket, note: null };
    const all = [...d.samples, ...live];
    const bucket = bucketChoice === "auto" ? (all.length <= RAW_POINTS ? 0 : autoBucket(rangeMs)) : bucketChoice;
    return { kind: "raw" as const, ...rawSeries(all, bucket), bucket, note: d.truncated ? `Only the first ${MAX_RAW_ROWS.toLocaleString()} samples of this range are drawn.` : null };
  }, [current, live, bucketChoice, rangeMs, histBucket]);
  const shown = (view?.keys ?? []).filter((k) => !hidden.has(k));

  return (
    <>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Chart settings">
        <RangeSelect id="range" value={rangeMs} onChange={chooseRange} />
        <div class="field">
          <label for="bucket">Buckets</label>
          <select id="bucket" value={String(bucketChoice)} onChange={(e) => setBucketChoice(e.currentTarget.value === "auto" ? "auto" : Number(e.currentTarget.value))}>
            <option value="auto">Automatic</option>
            <option value="0">Raw (every sample)</option>
            {offeredBuckets(rangeMs).map((b) => (
              <option key={b} value={b}>
                {formatBucket(b)} averages
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="button" onClick={() => setTick((t) => t + 1)}>
            Refresh
          </button>
        </div>
      </form>
      <p class="muted">
        {view && `${telemetryNote(view.kind, view.bucket)} `}New samples appear as they arrive.
      </p>
      {view?.note && <p class="note">{view.note}</p>}
      <ErrorNote error={loaded.error} what="Telemetry" />
      {!view ? (
        loaded.error ? null : <Loading />
      ) : view.keys.length === 0 ? (
        <p data-testid="no-telemetry">No numeric telemetry in this range yet.</p>
      ) : (
        <>
          <KeyPicker keys={view.keys} hidden={hidden} onChange={setHidden} />
          <Chart series={view.series} keys={shown} label="Telemetry" from={since} bucketMs={view.bucket} />
        </>
      )}
    </>
  );
}
