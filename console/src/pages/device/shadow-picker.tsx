/** Choosing the classic shadow or one of a device's named shadows. */
import { request, seg } from "../../api/client";
import type { Page } from "../../api/types";
import { useAsync } from "../../components/use-async";

/** A select of the device's shadows; hidden when only the classic one exists. */
export function ShadowPicker({ id, value, onChange }: { id: string; value: string; onChange: (name: string) => void }) {
  const names = useAsync(() => request<Page<string>>("GET", `/v1/devices/${seg(id)}/shadows`).catch(() => ({ items: [], next_cursor: null })), [id]);
  const all = [...new Set(["", ...(names.data?.items ?? [])])];
  if (all.length < 2) return null;
  return (
    <div class="field inline">
      <label for="shadow-name">Shadow</label>
      <select id="shadow-name" value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {all.map((n) => (
          <option key={n} value={n}>
            {n === "" ? "Classic shadow" : n}
          </option>
        ))}
      </select>
    </div>
  );
}
