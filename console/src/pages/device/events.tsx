/** The device's live event stream as a log: newest first, pausable, clearable. */
import { useEffect, useState } from "preact/hooks";
import type { EventBus } from "../../api/event-bus";
import type { DeviceEvent } from "../../api/types";
import { formatTime, jsonLine } from "../../lib/format";

const SHOWN = 200;

/** The live event log of the device whose events `bus` carries. */
export function EventsSection({ bus }: { bus: EventBus }) {
  const [events, setEvents] = useState<DeviceEvent[]>(() => bus.backlog.slice(-SHOWN));
  const [refused, setRefused] = useState(bus.state === "refused");
  useEffect(() => bus.onState((s) => setRefused(s === "refused")), [bus]);
  const [paused, setPaused] = useState(false);
  const [filter, setFilter] = useState("");
  useEffect(() => {
    if (paused) return;
    setEvents(bus.backlog.slice(-SHOWN));
    return bus.on(() => setEvents(bus.backlog.slice(-SHOWN)));
  }, [bus, paused]);
  const shown = events.filter((e) => e.type.startsWith(filter)).reverse();
  const types = [...new Set(events.map((e) => e.type.split(".")[0]))].sort();

  return (
    <>
      <div class="filters">
        <div class="field">
          <label for="event-filter">Show</label>
          <select id="event-filter" value={filter} onChange={(e) => setFilter(e.currentTarget.value)}>
            <option value="">All events</option>
            {types.map((t) => (
              <option key={t} value={t}>
                {t} events
              </option>
            ))}
          </select>
        </div>
        <div class="actions">
          <button type="button" aria-pressed={paused} onClick={() => setPaused(!paused)}>
            {paused ? "Resume" : "Pause"}
          </button>
          <button type="button" onClick={() => { bus.clear(); setEvents([]); }}>
            Clear
          </button>
        </div>
      </div>
      <p class="muted">
        {paused ? "Paused: new events are kept but not shown." : "Events appear here as they happen (newest first)."} {bus.backlog.length} received.
      </p>
      {refused ? (
        <p role="alert">This credential may not read the device's events (it needs the devices:read scope).</p>
      ) : shown.length === 0 ? (
        <p>No events yet. Connect the device, change its shadow or send it telemetry.</p>
      ) : (
        <ol class="event-log" aria-label="Events, newest first">
          {shown.map((e, i) => (
            <li key={`${e.ts}-${i}-${e.type}`}>
              <span class="event-type">{e.type}</span> <time dateTime={new Date(e.ts).toISOString()}>{formatTime(e.ts)}</time>
              <code class="mono">{jsonLine(e.data, 400)}</code>
            </li>
          ))}
        </ol>
      )}
    </>
  );
}
