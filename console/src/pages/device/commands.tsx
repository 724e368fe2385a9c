/**
 * Commands: send one into the device's durable queue, follow its status (queued → delivered →
 * completed | rejected | failed, or expired) and read its result, live from the event stream.
 */
import { useEffect, useState } from "preact/hooks";
import { request, seg, withQuery } from "../../api/client";
import type { EventBus } from "../../api/event-bus";
import type { Command, CommandStatus, Page } from "../../api/types";
import { useAsync } from "../../components/use-async";
import { useFeatures } from "../../components/use-features";
import { Done, ErrorNote, Unavailable } from "../../components/notes";
import { ListBody } from "../../components/list-body";
import { TextField } from "../../components/field";
import { JsonArea, useJsonText } from "../../components/json-area";
import { formatTime, jsonLine } from "../../lib/format";
import { TableWrap } from "../../components/table-wrap";

const STATUSES: CommandStatus[] = ["queued", "delivered", "completed", "rejected", "failed", "expired"];
const PATH = "/v1/devices/{id}/commands";

function SendCommand({ id, onSent }: { id: string; onSent: () => void }) {
  const [name, setName] = useState("");
  const payload = useJsonText("", { emptyAs: null });
  const [ttl, setTtl] = useState("");
  const [error, setError] = useState<unknown>(undefined);
  const [sent, setSent] = useState<Command | null>(null);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setSent(null);
    if (!payload.parsed.ok) return;
    try {
      const body = { name: name.trim(), ...(payload.text.trim() ? { payload: payload.parsed.value } : {}), ...(ttl.trim() ? { ttlSeconds: Number(ttl) } : {}) };
      setSent(await request<Command>("POST", `/v1/devices/${seg(id)}/commands`, { body }));
      onSent();
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form class="stack" onSubmit={submit} aria-labelledby="send-h">
      <h3 id="send-h">Send a command</h3>
      <TextField label="Command name" value={name} onInput={setName} required mono pattern="[A-Za-z0-9_.:\-]{1,64}" hint="1–64 letters, digits and _ . : -, e.g. reboot" />
      <JsonArea label="Payload (JSON, optional)" state={payload} rows={4} />
      <TextField label="Time to live in seconds (optional)" type="number" value={ttl} onInput={setTtl} min={1} max={2_592_000} hint="Default 86400 (one day). An undelivered command expires after it; it is never delivered late." />
      <ErrorNote error={error} what="Commands" />
      {sent && <Done>Command {sent.name} ({sent.id}) is {sent.status}.</Done>}
      <div class="actions">
        <button type="submit" class="primary" disabled={!payload.parsed.ok}>
          Send command
        </button>
      </div>
    </form>
  );
}

/** A device's commands: send, and the history with results, kept live by `bus`. */
export function CommandsSection({ id, bus }: { id: string; bus: EventBus }) {
  const features = useFeatures();
  const [status, setStatus] = useState("");
  const [limit, setLimit] = useState(25);
  const list = useAsync(() => request<Page<Command>>("GET", withQuery(`/v1/devices/${seg(id)}/commands`, { status, limit })), [id, status, limit]);
  useEffect(() => bus.on((e) => e.type.startsWith("command.") && list.reload()), [bus]);
  useEffect(() => bus.onOpen(list.reload), [bus]);

  if (features && !features.has("post", PATH)) return <Unavailable what="Commands" />;
  const items = list.data?.items ?? [];
  return (
    <>
      <SendCommand id={id} onSent={list.reload} />
      <h3>History</h3>
      <div class="filters">
        <div class="field">
          <label for="command-status">Status</label>
          <select id="command-status" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
            <option value="">Any status</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s}
              </option>
            ))}
          </select>
        </div>
      </div>
      <ErrorNote error={list.error} what="Commands" />
      <ListBody state={list} count={items.length} empty={<>No commands{status ? ` with status ${status}` : ""}.</>}>
        <div aria-live="polite">
        <TableWrap label="Commands table">
          <table data-testid="commands">
            <thead>
              <tr>
                <th scope="col">Command</th>
                <th scope="col">Status</th>
                <th scope="col">Payload</th>
                <th scope="col">Result</th>
                <th scope="col">Created</th>
                <th scope="col">Finished</th>
              </tr>
            </thead>
            <tbody>
              {items.map((c) => (
                <tr key={c.id} data-command={c.id} data-status={c.status}>
                  <th scope="row">
                    <span class="mono">{c.name}</span>
                    <br />
                    <small class="muted mono">{c.id}</small>
                  </th>
                  <td>
                    <span class={`badge cmd-${c.status}`}>{c.status}</span>
                  </td>
                  <td class="mono">{jsonLine(c.payload, 60)}</td>
                  <td class="mono" data-testid="command-result">{c.result === null || c.result === undefined ? "—" : jsonLine(c.result, 80)}</td>
                  <td>{formatTime(c.created_at)}</td>
                  <td>{formatTime(c.completed_at ?? (c.status === "expired" ? c.expires_at : null))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </TableWrap>
        </div>
      </ListBody>
      {list.data?.next_cursor && (
        <button type="button" onClick={() => setLimit(limit + 25)}>
          Show more
        </button>
      )}
    </>
  );
}
