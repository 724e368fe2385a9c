/** A shadow's past versions, and the differences between any two of them. */
import { useEffect, useState } from "preact/hooks";
import { request, withQuery } from "../../api/client";
import type { EventBus } from "../../api/event-bus";
import type { JsonObject, Page, ShadowDocument } from "../../api/types";
import { useAsync } from "../../components/use-async";
import { ErrorNote } from "../../components/notes";
import { ListBody } from "../../components/list-body";
import { diffJson, formatPath, type Change } from "../../lib/json-diff";
import { formatTime, jsonLine } from "../../lib/format";
import { isShadowEvent, shadowPath } from "./shadow-api";
import { ShadowPicker } from "./shadow-picker";
import { TableWrap } from "../../components/table-wrap";

/** Every kept version, oldest first (the hub keeps SHADOW_HISTORY_VERSIONS, 100 by default). */
async function allVersions(id: string, name: string): Promise<ShadowDocument[]> {
  const out: ShadowDocument[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 20; pages++) {
    const page: Page<ShadowDocument> = await request<Page<ShadowDocument>>("GET", withQuery(`${shadowPath(id, name)}/history`, { limit: 100, cursor }));
    out.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return out;
}

/** The part of a version that is compared: desired and reported state. */
const stateOf = (d: ShadowDocument | undefined): JsonObject => ({ desired: d?.state?.desired ?? {}, reported: d?.state?.reported ?? {} });

function ChangeRow({ c }: { c: Change }) {
  return (
    <tr class={`change ${c.kind}`}>
      <th scope="row" class="mono">
        {formatPath(c.path)}
      </th>
      <td>{c.kind}</td>
      <td class="mono">{c.kind === "added" ? "—" : jsonLine(c.before)}</td>
      <td class="mono">{c.kind === "removed" ? "—" : jsonLine(c.after)}</td>
    </tr>
  );
}

/** A device's shadow versions and the diff between two; new versions arrive by `bus`. */
export function HistorySection({ id, bus }: { id: string; bus: EventBus }) {
  const [name, setName] = useState("");
  const versions = useAsync(() => allVersions(id, name), [id, name]);
  const list = versions.data ?? [];
  const [from, setFrom] = useState<number | null>(null);
  const [to, setTo] = useState<number | null>(null);
  useEffect(() => bus.on((e) => isShadowEvent(e, name) && e.type === "shadow.updated" && versions.reload()), [bus, name]);
  useEffect(() => bus.onOpen(versions.reload), [bus]);
  // Default comparison: the latest version against the one before it.
  useEffect(() => {
    const n = list.length;
    if (n === 0) return;
    setTo((t) => (t !== null && list.some((v) => v.version === t) ? t : (list[n - 1].version ?? null)));
    setFrom((f) => (f !== null && list.some((v) => v.version === f) ? f : (list[Math.max(0, n - 2)].version ?? null)));
  }, [versions.data]);

  const a = list.find((v) => v.version === from);
  const b = list.find((v) => v.version === to);
  const changes = a && b ? diffJson(stateOf(a), stateOf(b)) : [];
  const options = list.map((v) => (
    <option key={v.version} value={v.version}>
      Version {v.version} · {formatTime(v.timestamp)}
    </option>
  ));

  return (
    <>
      <ShadowPicker id={id} value={name} onChange={setName} />
      <ErrorNote error={versions.error} what="Shadow history" />
      <ListBody state={versions} count={list.length} empty="No versions yet.">
        <>
          <form class="filters" onSubmit={(e) => e.preventDefault()} aria-labelledby="compare-h">
            <h3 id="compare-h" class="wide">
              Compare two versions
            </h3>
            <div class="field">
              <label for="from-version">From</label>
              <select id="from-version" value={from ?? undefined} onChange={(e) => setFrom(Number(e.currentTarget.value))}>
                {options}
              </select>
            </div>
            <div class="field">
              <label for="to-version">To</label>
              <select id="to-version" value={to ?? undefined} onChange={(e) => setTo(Number(e.currentTarget.value))}>
                {options}
              </select>
            </div>
          </form>
          <div aria-live="polite" data-testid="diff">
            {changes.length === 0 ? (
              <p>No differences between version {from} and version {to}.</p>
            ) : (
              <TableWrap label="Differences">
                <table>
                  <caption>
                    {changes.length} change{changes.length === 1 ? "" : "s"} from version {from} to version {to}
                  </caption>
                  <thead>
                    <tr>
                      <th scope="col">Field</th>
                      <th scope="col">Change</th>
                      <th scope="col">Before</th>
                      <th scope="col">After</th>
                    </tr>
                  </thead>
                  <tbody>
                    {changes.map((c) => (
                      <ChangeRow key={c.path.join("\u0000")} c={c} />
                    ))}
                  </tbody>
                </table>
              </TableWrap>
            )}
          </div>
          <h3>All versions</h3>
          <TableWrap label="All versions table">
            <table>
              <thead>
                <tr>
                  <th scope="col">Version</th>
                  <th scope="col">Time</th>
                  <th scope="col">Desired</th>
                  <th scope="col">Reported</th>
                </tr>
              </thead>
              <tbody>
                {[...list].reverse().map((v) => (
                  <tr key={v.version}>
                    <th scope="row">{v.version}</th>
                    <td>{formatTime(v.timestamp)}</td>
                    <td class="mono">{jsonLine(v.state?.desired ?? {}, 80)}</td>
                    <td class="mono">{jsonLine(v.state?.reported ?? {}, 80)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </TableWrap>
        </>
      </ListBody>
    </>
  );
}
