/**
 * How a device's live event stream is noted among the app sessions a credential holds
 * (app-sessions.ts): `events/<deviceId>/<owner>`, which no MQTT session's name can be (those are
 * `<owner>/<clientId>`, and owners are `key:…`, `client:…`, `admin`, `device:…`, `anonymous`).
 */

const STREAMS = "events/";

/** The noted name of `owner`'s streams of `deviceId` (device ids hold no `/`). */
export function streamName(deviceId: string, owner: string): string {
  return `${STREAMS}${deviceId}/${owner}`;
}

/** The device and owner of a noted stream, or null for an MQTT session's name. */
export function streamOf(name: string): { deviceId: string; owner: string } | null {
  if (!name.startsWith(STREAMS)) return null;
  const rest = name.slice(STREAMS.length);
  const slash = rest.indexOf("/");
  return slash <= 0 || slash === rest.length - 1 ? null : { deviceId: rest.slice(0, slash), owner: rest.slice(slash + 1) };
}
