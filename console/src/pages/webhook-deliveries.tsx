/** A webhook's delivery log: each attempt's event, outcome and timing. */
import { request, seg } from "../api/client";
import type { Page } from "../api/types";
import { useAsync } from "../components/use-async";
import { ErrorNote } from "../components/notes";
import { ListBody } from "../components/list-body";
import { formatTime, jsonLine } from "../lib/format";
import { TableWrap } from "../components/table-wrap";

type Delivery = Record<string, unknown>;

/** The first of `keys` that `d` has as a string or number. */
const pick = (d: Delivery, ...keys: string[]): string | number | null => {
  for (const k of keys) {
    const v = d[k];
    if (typeof v === "string" || typeof v === "number") return v;
  }
  return null;
};

/** The delivery log of webhook `id`. */
export function Deliveries({ id }: { id: string }) {
  const list = useAsync(() => request<Page<Delivery>>("GET", `/v1/webhooks/${seg(id)}/deliveries`, { query: { limit: 50 } }), [id]);
  const items = list.data?.items ?? [];
  return (
    <div class="deliveries">
      <div class="row-actions">
        <h3>Deliveries</h3>
        <button type="button" onClick={list.reload}>
          Refresh
        </button>
      </div>
      <ErrorNote error={list.error} what="The delivery log" />
      <ListBody state={list} count={items.length} empty="No deliveries yet.">
        <TableWrap label="Deliveries">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Event</th>
                <th scope="col">Outcome</th>
                <th scope="col">Attempts</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              {items.map((d, i) => {
                const t = pick(d, "created_at", "at", "ts", "timestamp");
                const http = pick(d, "last_status", "response_status", "status_code");
                const why = pick(d, "last_error");
                return (
                  <tr key={String(pick(d, "id") ?? i)}>
                    <th scope="row">{formatTime(t)}</th>
                    <td>
                      {pick(d, "type", "event") ?? "—"}
                      {pick(d, "device_id") !== null && <span class="mono"> {pick(d, "device_id")}</span>}
                    </td>
                    <td>
                      {pick(d, "status", "state", "outcome") ?? "—"}
                      {http !== null && ` (HTTP ${http})`}
                      {why !== null && <span class="muted"> {why}</span>}
                    </td>
                    <td>{pick(d, "attempts", "attempt") ?? "—"}</td>
                    <td class="mono">{jsonLine(d, 100)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableWrap>
      </ListBody>
    </div>
  );
}
