/**
 * The shadow service of one device: load the record, apply the pure shadow logic, persist
 * when changed (with history), and return what to publish. Protocol-neutral.
 */
import { applyShadow, checkShadowRequest, deltaOf, type ShadowEvent, type ShadowRecord, type ShadowRequest, type ShadowResponse } from "../../shadow/shadow";
import type { DeviceStore } from "./store";
import type { DeviceConfig } from "./config";

/** Outcome of one shadow request: the reply and the events an accepted change produced. */
export interface ShadowOutcome {
  name: string;
  response: ShadowResponse;
  events: ShadowEvent[];
}

/** Applies a request (already shaped as `{kind, state?, version?, clientToken?}`, unchecked) to shadow `name`. */
export function runShadow(store: DeviceStore, config: DeviceConfig, name: string, input: unknown, now: number): ShadowOutcome {
  const checked = checkShadowRequest(input, config.shadow, Math.floor(now / 1000));
  if (!checked.ok) {
    return { name, response: { status: "rejected", op: checked.op, body: checked.error }, events: [] };
  }
  const request: ShadowRequest = { ...checked.request, name: checked.request.name ?? name };
  const before = store.getShadow(name);
  const result = applyShadow(before, request, now, config.shadow);
  if (result.changed && result.document) store.putShadow(name, result.document, config.historyVersions);
  return { name, response: result.response, events: [...result.events, ...deletedDelta(before, result.response)] };
}

/**
 * A delete that removed an open delta empties it: a delta event with `state: {}`, so
 * everyone who follows the delta (CoAP observers, JSON devices, app streams) hears of it, as
 * they do when an update clears it. MQTT publishes only non-empty deltas, as AWS does.
 */
function deletedDelta(before: ShadowRecord | null, response: ShadowResponse): ShadowEvent[] {
  if (response.status !== "accepted" || response.op !== "delete" || deltaOf(before) === null) return [];
  const { version, timestamp, clientToken } = response.body;
  return [{ type: "delta", message: { state: {}, metadata: {}, version, timestamp, ...(clientToken === undefined ? {} : { clientToken }) } }];
}

/** Open deltas of every shadow of the device, to push to a device as it connects. */
export function openDeltas(store: DeviceStore, now: number) {
  return store
    .shadowNames()
    .map((name) => ({ name, delta: deltaOf(store.getShadow(name), now) }))
    .filter((d): d is { name: string; delta: NonNullable<typeof d.delta> } => d.delta !== null);
}
