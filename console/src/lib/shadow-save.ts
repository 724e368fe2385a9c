/**
 * Saving desired state with optimistic locking, without tripping on changes the person did not
 * touch. The editor names the version it started from; any write bumps the version (a device
 * reporting, too), so the hub answers 409 far more often than there is a real conflict. A 409
 * is a conflict only when desired state itself changed since editing began: otherwise the save
 * is sent again at the current version.
 */
import { jsonEquals, type JsonObject } from "../../../protocols/json-value";

/** Where editing began: the version and desired state then. */
export interface SaveBase {
  version: number | undefined;
  desired: JsonObject | undefined;
}

/** The part of a shadow the decision reads (null: the shadow does not exist). */
export type ShadowNow = { version?: number; state?: { desired?: JsonObject } } | null;

/** After a 409: send again at `version`, or report a conflict. */
export type AfterConflict = { retry: true; version: number | undefined } | { retry: false };

/** Desired state as compared: absent and `{}` both mean nothing is desired. */
const desiredOf = (d: JsonObject | undefined): JsonObject => d ?? {};

/**
 * What to do after a 409, given the shadow as it is now: retry at its version when its desired
 * state is still the one editing began from (only reported state or metadata moved), else conflict.
 * @example afterConflict({ version: 3, desired: { on: true } }, { version: 5, state: { desired: { on: true } } }) // { retry: true, version: 5 }
 */
export function afterConflict(base: SaveBase, now: ShadowNow): AfterConflict {
  if (!jsonEquals(desiredOf(base.desired), desiredOf(now?.state?.desired))) return { retry: false };
  // Gone since (deleted, or never there): the patch from an empty desired creates it anew.
  if (now === null || now.version === undefined) return base.version === undefined || Object.keys(desiredOf(base.desired)).length === 0 ? { retry: true, version: undefined } : { retry: false };
  return now.version === base.version ? { retry: false } : { retry: true, version: now.version };
}

/** Whether the shadow moved on in a way that would make saving a real conflict (for the warning). */
export function desiredChanged(base: SaveBase, now: ShadowNow): boolean {
  return !jsonEquals(desiredOf(base.desired), desiredOf(now?.state?.desired));
}

/** How a save talks to the hub; injected so the loop is tested without one. */
export interface SaveIo<T> {
  /** Sends the patch naming `version` (undefined: no version check). */
  send(version: number | undefined): Promise<T>;
  /** Reads the shadow as it is now. */
  read(): Promise<ShadowNow>;
  /** Whether an error from `send` is the hub's version conflict (409). */
  isConflict(err: unknown): boolean;
}

/**
 * Sends at the base version; on a 409 whose cause left desired state alone, reads the shadow and
 * sends again at its version, up to `tries` sends in all. A real conflict (or the last 409)
 * is thrown as the hub gave it, so the caller shows its conflict note.
 */
export async function saveDesired<T>(base: SaveBase, io: SaveIo<T>, tries = 4): Promise<T> {
  let version = base.version;
  for (let n = 1; ; n++) {
    try {
      return await io.send(version);
    } catch (err) {
      if (!io.isConflict(err) || n >= tries) throw err;
      const next = afterConflict(base, await io.read());
      if (!next.retry) throw err;
      version = next.version;
    }
  }
}
