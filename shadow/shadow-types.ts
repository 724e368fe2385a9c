/**
 * Types of the device shadow: the stored record, the requests, the AWS-shaped response bodies
 * and the events the owning object publishes. Everything here is plain JSON so a record can be
 * stored with `JSON.stringify` and a body sent as is.
 *
 * Timestamps inside documents and bodies are epoch **seconds** (integers), as in AWS IoT.
 */
import type { JsonObject } from "../protocols/json-value";

/**
 * Metadata of one state node: `{ timestamp }` for a scalar, an array of per-element metadata for
 * an array (AWS's layout; an empty array therefore has `[]` as metadata), and an object of
 * per-field metadata for an object.
 */
export type ShadowMetadataNode =
  | { timestamp: number }
  | ShadowMetadataNode[]
  | { [key: string]: ShadowMetadataNode };

/** The stored state: a section is absent when empty (AWS never shows `"desired": {}`). */
export type ShadowState = { desired?: JsonObject; reported?: JsonObject };

/** Metadata mirroring {@link ShadowState}, section by section. */
export type ShadowMetadata = { desired?: ShadowMetadataNode; reported?: ShadowMetadataNode };

/** A live shadow document. `timestamp` is when it was last changed. */
export type ShadowDocument = {
  state: ShadowState;
  metadata: ShadowMetadata;
  version: number;
  timestamp: number;
};

/**
 * What remains of a deleted shadow: its last version, so that a later update continues at
 * `version + 1` as AWS does (AWS forgets it after 48 h; we keep it, so versions only grow).
 */
export type ShadowTombstone = { deleted: true; version: number; timestamp: number };

/** What the owning object persists per shadow; `null`/`undefined` means "never existed". */
export type ShadowRecord = ShadowDocument | ShadowTombstone;

/**
 * The `state` of an update request: fields to merge, `null` values delete; a section set to
 * `null` is removed whole. `state: null` clears both sections (the shadow keeps existing).
 */
export type ShadowStatePatch = { desired?: JsonObject | null; reported?: JsonObject | null };

/**
 * `name` is only used in messages (`No shadow exists with name: '…'`); AWS prints the thing
 * name there for the classic shadow.
 */
export type ShadowGetRequest = { kind: "get"; clientToken?: string; name?: string };
/** Update (create when missing). `version`, when given, must equal the current version. */
export type ShadowUpdateRequest = {
  kind: "update";
  state: ShadowStatePatch | null;
  version?: number;
  clientToken?: string;
  name?: string;
};
/** Delete. `version`, when given, must equal the current version. */
export type ShadowDeleteRequest = { kind: "delete"; version?: number; clientToken?: string; name?: string };
/** Any shadow request. */
export type ShadowRequest = ShadowGetRequest | ShadowUpdateRequest | ShadowDeleteRequest;
/** `get`, `update` or `delete`. */
export type ShadowOp = ShadowRequest["kind"];

/** `/get/accepted`: the whole document with its computed delta. */
export type ShadowGetAccepted = {
  state: ShadowState & { delta?: JsonObject };
  metadata: ShadowMetadata;
  version: number;
  timestamp: number;
  clientToken?: string;
};

/** `/update/accepted`: the request's state echoed (nulls included) with fresh metadata for it. */
export type ShadowUpdateAccepted = {
  state: ShadowStatePatch | null;
  metadata: ShadowMetadata;
  version: number;
  timestamp: number;
  clientToken?: string;
};

/** `/delete/accepted`: the version the deleted document had. */
export type ShadowDeleteAccepted = { version: number; timestamp: number; clientToken?: string };

/** AWS error document (`/rejected`): `code` is an HTTP status. */
export type ShadowErrorBody = { code: number; message: string; timestamp: number; clientToken?: string };

/** The reply to a request: the body AWS publishes on `/accepted` or `/rejected`. */
export type ShadowResponse =
  | { status: "accepted"; op: "get"; body: ShadowGetAccepted }
  | { status: "accepted"; op: "update"; body: ShadowUpdateAccepted }
  | { status: "accepted"; op: "delete"; body: ShadowDeleteAccepted }
  | { status: "rejected"; op: ShadowOp; body: ShadowErrorBody };

/** A document as `/update/documents` shows it (no timestamp of its own). */
export type ShadowSnapshot = { state: ShadowState; metadata: ShadowMetadata; version: number };

/** `/update/documents`: before and after an accepted update or delete (`null` = no document). */
export type ShadowDocumentsMessage = {
  previous: ShadowSnapshot | null;
  current: ShadowSnapshot | null;
  timestamp: number;
  clientToken?: string;
};

/** `/update/delta`: `state` is the delta (`{}` when it was just cleared), metadata from desired. */
export type ShadowDeltaMessage = {
  state: JsonObject;
  metadata: { [key: string]: ShadowMetadataNode };
  version: number;
  timestamp: number;
  clientToken?: string;
};

/** Something for the owning object to publish after an accepted change. */
export type ShadowEvent =
  | { type: "documents"; message: ShadowDocumentsMessage }
  | { type: "delta"; message: ShadowDeltaMessage };

/**
 * Result of {@link applyShadow}: `document` is what to persist (the input itself when `changed`
 * is false, `null` when there never was a document).
 */
export type ShadowResult = {
  document: ShadowRecord | null;
  changed: boolean;
  response: ShadowResponse;
  events: ShadowEvent[];
};
