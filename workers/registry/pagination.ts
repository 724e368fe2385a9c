/** Opaque cursors for keyset pagination: the cursor is the last key of the page, base64url-encoded. */
import { ApiError } from "../errors";
import { base64url, fromBase64url } from "../auth/crypto";

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: false });

/** A page of a list: every list route answers `{items, next_cursor}`. */
export interface Page<T> {
  items: T[];
  next_cursor: string | null;
}

/** Encodes the last key of a page as a cursor. */
export function encodeCursor(key: string): string {
  return base64url(encoder.encode(key));
}

/**
 * Decodes a cursor given by a client; a damaged cursor is a 400: not base64url, not the form
 * {@link encodeCursor} writes (`garbage` decodes, but with stray bits), or not UTF-8 text. Before,
 * such a cursor read as some key and answered an empty page (as if the list ended) or one from
 * an arbitrary point.
 */
export function decodeCursor(cursor: string | undefined): string | null {
  if (cursor === undefined || cursor === "") return null;
  const bytes = fromBase64url(cursor);
  let key: string | null = null;
  try {
    if (bytes) key = decoder.decode(bytes);
  } catch {
    // not UTF-8: no cursor of ours
  }
  if (key === null || encodeCursor(key) !== cursor) throw new ApiError("invalid-request", "cursor is not one this API handed out");
  return key;
}

/** A cursor whose key is a position (a sequence number, a version): digits only, else a 400. */
export function decodeNumericCursor(cursor: string | undefined): number | null {
  const raw = decodeCursor(cursor);
  if (raw === null) return null;
  if (!/^\d{1,15}$/.test(raw)) throw new ApiError("invalid-request", "cursor is not one this API handed out");
  return Number(raw);
}

/** Builds a page from `limit + 1` fetched rows: the extra row only says whether more exist. */
export function toPage<R, T>(rows: R[], limit: number, key: (r: R) => string, view: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const items = more ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items: items.map(view), next_cursor: more && last !== undefined ? encodeCursor(key(last)) : null };
}
