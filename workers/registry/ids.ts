/**
 * One rule for every user-chosen id (device ids, channel ids, group names): 1–128 of
 * `[A-Za-z0-9_.:-]`, and never `.` or `..`, which a URL path cannot carry as a segment (clients
 * and proxies collapse them), so such a resource could be created and never reached again.
 */
import { ApiError } from "../errors";

/**
 * The MQTT user name that marks an app session on `/mqtt` (password: API key or OAuth token); no
 * device may take it as its id, since it could never sign in there with its id as user name.
 */
export const APP_USERNAME = "app";

/** The rule as a regular expression (also used by the request schemas). */
export const USER_ID = /^(?!\.{1,2}$)[A-Za-z0-9_.:-]{1,128}$/;

/** What a refused id is told. */
export const USER_ID_RULE = 'must match [A-Za-z0-9_.:-]{1,128} and not be "." or ".."';

/**
 * Throws a 400 `invalid-id` unless `id` follows the rule.
 * @example assertUserId("channel id", "..") // throws: channel id must match …
 */
export function assertUserId(what: string, id: string): void {
  if (!USER_ID.test(id)) throw new ApiError("invalid-id", `${what} ${USER_ID_RULE}`);
}
