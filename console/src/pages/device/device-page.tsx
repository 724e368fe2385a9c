/**
 * One device: its header (name, tags, live status, disable and delete) and sections — shadow, version history,
 * live events, telemetry, commands, methods, credentials — under one live event stream.
 */
import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import { request, seg } from "../../api/client";
import { openEvents } from "../../api/stream";
import { EventBus } from "../../api/event-bus";
import type { Device, DeviceStatus } from "../../api/types";
import { useAsync } from "../../components/use-async";
import { ErrorNote, Loading } from "../../components/notes";
import { StatusBadge, statusFromEvent } from "../../components/presence";
import { DEVICE_TABS, hrefOf, type DeviceTab } from "../../lib/route";
import { ShadowSection } from "./shadow";
import { HistorySection } from "./history";
import { EventsSection } from "./events";
import { TelemetrySection } from "./telemetry";
import { CommandsSection } from "./commands";
import { MethodsSection } from "./methods";
import { CredentialsSection } from "./credentials";
import { DeviceActions } from "./device-actions";
import { formatTime } from "../../lib/format";

const TAB_TITLES: Record<DeviceTab, string> = {
  shadow: "Shadow",
  history: "Version history",
  events: "Live events",
  telemetry: "Telemetry",
  commands: "Commands",
  methods: "Direct methods",
  credentials: "Credentials",
};

function Section({ id, tab, bus }: { id: string; tab: DeviceTab; bus: EventBus }) {
  switch (tab) {
    case "shadow":
      return <ShadowSection id={id} bus={bus} />;
    case "history":
      return <HistorySection id={id} bus={bus} />;
    case "events":
      return <EventsSection bus={bus} />;
    case "telemetry":
      return <TelemetrySection id={id} bus={bus} />;
    case "commands":
      return <CommandsSection id={id} bus={bus} />;
    case "methods":
      return <MethodsSection id={id} />;
    case "credentials":
      return <CredentialsSection id={id} />;
  }
}

/** The page of device `id` (`#/devices/{id}/{tab}`), showing section `tab`. */
export function DevicePage({ id, tab }: { id: string; tab: DeviceTab }) {
  const device = useAsync(() => request<Device>("GET", `/v1/devices/${seg(id)}`), [id]);
  const [status, setStatus] = useState<DeviceStatus | undefined>(undefined);
  const [streamState, setStreamState] = useState("connecting");
  const bus = useMemo(() => new EventBus(), [id]);
  const panel = useRef<HTMLElement>(null);
  const firstTab = useRef(true);

  useEffect(() => setStatus(device.data?.status), [device.data]);
  useEffect(() => {
    const offState = bus.onState(setStreamState);
    const offEvents = bus.on((e) => setStatus((s) => statusFromEvent(e, s) ?? s));
    const offOpen = bus.onOpen(device.reload);
    const stream = openEvents(id, (e) => bus.push(e), (s) => bus.setState(s));
    return () => {
      stream.close();
      offState();
      offEvents();
      offOpen();
    };
  }, [bus, id]);
  // Switching sections moves focus to the new section's heading (not on the first render).
  useEffect(() => {
    if (firstTab.current) {
      firstTab.current = false;
      return;
    }
    panel.current?.querySelector<HTMLElement>("h2")?.focus();
  }, [tab]);

  const d = device.data;
  const crumbs = (
    <>
      <p class="crumbs">
        <a href="#/devices">Devices</a> ›
      </p>
      <h1 tabIndex={-1} class="mono">
        {id}
      </h1>
    </>
  );
  // Deleted elsewhere (its stream closed 4404): nothing on this page is true any more.
  if (streamState === "gone") {
    return (
      <>
        {crumbs}
        <p role="alert" data-testid="device-deleted">
          This device was deleted. <a href="#/devices">Back to the devices</a>
        </p>
      </>
    );
  }
  return (
    <>
      {crumbs}
      <ErrorNote error={device.error} what="This device" />
      {device.loading && !d && <Loading />}
      {d && (
        <dl class="facts">
          <div>
            <dt>Status</dt>
            <dd aria-live="polite" data-testid="device-status">
              <StatusBadge status={status} />
              {status?.last_seen && <span class="muted"> last seen {formatTime(status.last_seen)}</span>}
            </dd>
          </div>
          <div>
            <dt>Name</dt>
            <dd>{d.name ?? "—"}</dd>
          </div>
          <div>
            <dt>Tags</dt>
            <dd>{d.tags.length ? d.tags.map((t) => <span key={t} class="tag">{t}</span>) : "—"}</dd>
          </div>
          <div>
            <dt>Enabled</dt>
            <dd>{d.enabled ? "Yes" : "No (its credentials are refused)"}</dd>
          </div>
          <div>
            <dt>Live stream</dt>
            <dd data-testid="stream" data-state={streamState}>
              {streamState === "open" ? "Connected" : streamState === "connecting" ? "Connecting…" : streamState === "refused" ? "Not allowed with this credential (devices:read)" : "Reconnecting…"}
            </dd>
          </div>
        </dl>
      )}
      {d && <DeviceActions device={d} onChanged={device.reload} />}
      <nav aria-label="Device sections" class="tabs">
        <ul>
          {DEVICE_TABS.map((t) => (
            <li key={t}>
              <a href={hrefOf({ page: "device", id, tab: t })} aria-current={t === tab ? "page" : undefined}>
                {TAB_TITLES[t]}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <section ref={panel} aria-labelledby="section-h" class="panel">
        <h2 id="section-h" tabIndex={-1}>
          {TAB_TITLES[tab]}
        </h2>
        <Section id={id} tab={tab} bus={bus} />
      </section>
    </>
  );
}
