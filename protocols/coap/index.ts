/**
 * CoAP over WebSockets (RFC 8323) for Umbra: codec, signaling, and the server session
 * a DeviceObject hosts. Pure: no platform imports.
 */
export type { BlockValue } from "./block";
export { BERT_SZX, blockOption, blockSize, decodeBlock, encodeBlock, szxForSize } from "./block";
export type { CoapMessage, CoapOption } from "./codec";
export { decode, encode, sortOptions } from "./codec";
export type { CodeKind } from "./codes";
export { Code, codeClass, codeDetail, codeKind, formatCode, makeCode } from "./codes";
export type { CoapErrorKind } from "./errors";
export { CoapError } from "./errors";
export type {
  CoapClose,
  CoapHost,
  CoapOutput,
  CoapSessionConfig,
  CoapSessionState,
  HostResult,
  ObserverEntry,
  ShadowFormat,
  TelemetryFormat,
  TelemetryResult,
} from "./host";
export {
  ContentFormat,
  Option,
  SignalOption,
  bytesEqual,
  contentFormatOption,
  decodeString,
  decodeUint,
  emptyOption,
  encodeString,
  encodeUint,
  etagFromVersion,
  fromHex,
  getOption,
  getOptions,
  getUintOption,
  getUriPath,
  getUriQuery,
  hasOption,
  isCritical,
  observeOption,
  pathOptions,
  queryOptions,
  stringOption,
  toHex,
  uintOption,
} from "./options";
export { CloseCode, CoapSession, DEFAULT_BLOCK_SIZE, DEFAULT_MAX_OBSERVERS, DEFAULT_MAX_PAYLOAD } from "./server";
export { contentEtag, etagNamesVersion, versionEtag } from "./etag";
export type { CsmValues } from "./signaling";
export {
  DEFAULT_CSM,
  DEFAULT_MAX_MESSAGE_SIZE,
  abortMessage,
  applyCsm,
  csmMessage,
  hasCustody,
  pingMessage,
  pongMessage,
  releaseMessage,
} from "./signaling";
export { parseSessionState } from "./state";
