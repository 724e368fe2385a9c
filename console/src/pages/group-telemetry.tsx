/**
 * One telemetry key across a group's devices (`GET /v1/telemetry?group=…`, each device's buckets
 * computed in its object): a line per device and the combined average, over a chosen range.
 */
import { useState } from "preact/hooks";
import { request, withQuery } from "../api/client";
import { useAsync } from "../components/use-async";
import { ErrorNote, Loading } from "../components/notes";
import { TextField } from "../components/field";
import { RangeSelect } from "../components/range-select";
import { Chart } from "../components/chart";
import { KeyPicker } from "../components/key-picker";
import { autoBucket, formatBucket } from "../lib/buckets";
import { bucketParam, fleetSeries } from "../lib/history";

/** The chart of one key over the group `group`, asked for with a key and a range. */
export function GroupTelemetry({ group }: { group: string }) {
  const [key, setKey] = useState("");
  const [rangeMs, setRangeMs] = useState(3_600_000);
  const [asked, setAsked] = useState<{ key: string; rangeMs: number; at: number } | null>(null);
  const [hidden, setHidden] = useState<Set<string>>(new Set());
  const loaded = useAsync(async () => {
    if (!asked) return null;
    const from = asked.at - asked.rangeMs;
    const bucketMs = autoBucket(asked.rangeMs);
    const answer = await request<unknown>("GET", withQuery("/v1/telemetry", { group, key: asked.key, from, to: asked.at + 60_000, bucket: bucketParam(bucketMs), agg: "avg,min,max,count", combine: "true" }));
    return { ...fleetSeries(answer), from, bucketMs };
  }, [group, asked]);
  const view = loaded.data;
  const shown = (view?.keys ?? []).filter((k) => !hidden.has(k));
  return (
    <div class="members">
      <h3>Telemetry across {group}</h3>
      <form class="filters" aria-label={`Telemetry of ${group}`} onSubmit={(e) => {
        e.preventDefault();
        setHidden(new Set());
        setAsked({ key: key.trim(), rangeMs, at: Date.now() });
      }}>
        <TextField label="Telemetry key" value={key} onInput={setKey} required mono placeholder="temp" />
        <RangeSelect id={`range-${group}`} value={rangeMs} onChange={setRangeMs} />
        <div class="actions">
          <button type="submit">Show</button>
        </div>
      </form>
      <ErrorNote error={loaded.error} what="Telemetry" />
      {asked && !view && !loaded.error && <Loading />}
      {view &&
        (view.keys.length === 0 ? (
          <p data-testid="no-telemetry">No device of {group} sent a number for {asked?.key} in this range.</p>
        ) : (
          <>
            <p class="muted">
              Averages per {formatBucket(view.bucketMs)}, per device and across all of them (the hub aggregates in each device's object).
            </p>
            <KeyPicker keys={view.keys} hidden={hidden} onChange={setHidden} legend="Series" />
            <Chart series={view.series} keys={shown} label={`${asked?.key} across ${group}`} from={view.from} />
          </>
        ))}
    </div>
  );
}
