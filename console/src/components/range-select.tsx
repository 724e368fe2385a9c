/** A chart's range: the last 15 minutes to 30 days ({@link RANGES}). */
import { RANGES } from "../lib/buckets";

/** A labelled select of {@link RANGES}; `id` must be unique on the page. */
export function RangeSelect({ id, value, onChange }: { id: string; value: number; onChange: (ms: number) => void }) {
  return (
    <div class="field">
      <label for={id}>Range</label>
      <select id={id} value={value} onChange={(e) => onChange(Number(e.currentTarget.value))}>
        {RANGES.map((r) => (
          <option key={r.ms} value={r.ms}>
            {r.label}
          </option>
        ))}
      </select>
    </div>
  );
}
