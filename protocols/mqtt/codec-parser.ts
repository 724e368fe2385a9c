/**
 * mqtt-packet's incremental parser, hardened where it accepts what the spec forbids.
 *
 * mqtt-packet 9.0.2 decodes strings leniently (invalid UTF-8 becomes U+FFFD, U+0000
 * passes), reads MQTT 5 properties without checking that they stay inside their
 * declared length, silently truncates them, keeps only the last of a repeated
 * property whose value is falsy, and reads `byte` properties as booleans (so 2 is
 * `true`). It also ignores bytes left over after the last field. We replace two of
 * its per-instance methods (`_parseString`, `_parseProperties`) with strict ones and
 * read its cursor after each packet. The internals are pinned by package.json; the
 * guard below fails loudly at load if a release renames them, and codec tests cover
 * each behaviour.
 */
import { parser as createParser } from "mqtt-packet";
import { Buffer } from "node:buffer";
import { MqttProtocolError, malformed, protocolViolation } from "./errors";
import type { ProtocolVersion } from "./packets";

/** Wire type of an MQTT 5 property (spec §2.2.2.2). */
type PropertyType = "byte" | "int16" | "int32" | "var" | "string" | "binary" | "pair";

/** MQTT 5 property identifiers → name and wire type. */
export const PROPERTIES: Readonly<Record<number, readonly [string, PropertyType]>> = {
  0x01: ["payloadFormatIndicator", "byte"],
  0x02: ["messageExpiryInterval", "int32"],
  0x03: ["contentType", "string"],
  0x08: ["responseTopic", "string"],
  0x09: ["correlationData", "binary"],
  0x0b: ["subscriptionIdentifier", "var"],
  0x11: ["sessionExpiryInterval", "int32"],
  0x12: ["assignedClientIdentifier", "string"],
  0x13: ["serverKeepAlive", "int16"],
  0x15: ["authenticationMethod", "string"],
  0x16: ["authenticationData", "binary"],
  0x17: ["requestProblemInformation", "byte"],
  0x18: ["willDelayInterval", "int32"],
  0x19: ["requestResponseInformation", "byte"],
  0x1a: ["responseInformation", "string"],
  0x1c: ["serverReference", "string"],
  0x1f: ["reasonString", "string"],
  0x21: ["receiveMaximum", "int16"],
  0x22: ["topicAliasMaximum", "int16"],
  0x23: ["topicAlias", "int16"],
  0x24: ["maximumQoS", "byte"],
  0x25: ["retainAvailable", "byte"],
  0x26: ["userProperties", "pair"],
  0x27: ["maximumPacketSize", "int32"],
  0x28: ["wildcardSubscriptionAvailable", "byte"],
  0x29: ["subscriptionIdentifiersAvailable", "byte"],
  0x2a: ["sharedSubscriptionAvailable", "byte"],
};

/** Decoded properties: name → value; repeatable ones (user properties, subscription ids) → arrays. */
export type RawProperties = Record<string, unknown>;

/** The parts of mqtt-packet's Parser we read or replace (see the module comment). */
interface ParserInternals {
  _list: { readUInt8(offset: number): number; slice(start: number, end: number): Buffer; length: number };
  _pos: number;
  packet: { cmd: string; length: number };
  settings: { protocolVersion?: number };
  _parseNum(): number;
  _parse4ByteNum(): number;
  _parseBuffer(): Buffer | null;
  _emitError(error: Error): void;
  _parseString: () => string | null;
  _parseProperties: () => RawProperties | false;
  on(event: "packet", listener: (packet: unknown) => void): unknown;
  on(event: "error", listener: (error: unknown) => void): unknown;
  parse(buffer: Buffer): number;
}

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** A single-packet parser: feed it exactly one complete packet, get it back or an error. */
export interface PacketParser {
  /** Parse one complete packet (fixed header included). Throws {@link MqttProtocolError}. */
  parse(bytes: Uint8Array): Record<string, unknown>;
  /** Protocol version used for version-dependent layouts. */
  protocolVersion: ProtocolVersion | undefined;
}

/** Create a hardened parser; `protocolVersion` selects 3.1.1 or 5.0 layouts. */
export function createPacketParser(protocolVersion?: ProtocolVersion): PacketParser {
  const raw = createParser({ protocolVersion }) as unknown as ParserInternals;
  for (const name of ["_parseNum", "_parse4ByteNum", "_parseBuffer", "_emitError", "_parseString", "_parseProperties"] as const) {
    if (typeof raw[name] !== "function") throw new Error(`mqtt-packet internals changed: ${name} missing`);
  }
  raw._parseString = strictString;
  raw._parseProperties = strictProperties;
  let packet: Record<string, unknown> | undefined;
  let error: unknown;
  raw.on("packet", (p) => {
    const body = raw.packet.length;
    // PUBLISH's payload takes the rest; any other packet must end exactly at its last field.
    if (raw.packet.cmd !== "publish" && raw._pos !== body && error === undefined) {
      error = malformed(`${raw.packet.cmd}: ${body - raw._pos} unexpected trailing bytes`);
    }
    packet = p as Record<string, unknown>;
  });
  raw.on("error", (e) => {
    error ??= e;
  });
  let settings = { protocolVersion };
  const api: PacketParser = {
    protocolVersion,
    parse(bytes) {
      packet = undefined;
      error = undefined;
      // mqtt-packet replaces its settings with each CONNECT it reads; ours decide the layout.
      if (settings.protocolVersion !== api.protocolVersion) settings = { protocolVersion: api.protocolVersion };
      raw.settings = settings;
      try {
        raw.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      } catch (e) {
        error ??= e;
      }
      if (error !== undefined) throw toProtocolError(error);
      if (packet === undefined) throw malformed("incomplete packet");
      return packet;
    },
  };
  return api;
}

function toProtocolError(error: unknown): MqttProtocolError {
  if (error instanceof MqttProtocolError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message === "Invalid protocol version") return new MqttProtocolError(0x84, message);
  return malformed(message);
}

/** [MQTT-1.5.4-1] well-formed UTF-8, [MQTT-1.5.4-2] no U+0000, [MQTT-1.5.4-3] a BOM is kept. */
function strictString(this: ParserInternals): string | null {
  const length = this._parseNum();
  if (length === -1) return null;
  const end = this._pos + length;
  if (end > this.packet.length) return null;
  let text: string;
  try {
    text = utf8.decode(this._list.slice(this._pos, end));
  } catch {
    this._emitError(malformed("string is not well-formed UTF-8 [MQTT-1.5.4-1]"));
    return null;
  }
  if (text.includes("\u0000")) {
    this._emitError(malformed("string contains U+0000 [MQTT-1.5.4-2]"));
    return null;
  }
  this._pos = end;
  return text;
}

/** Reads a variable byte integer at the cursor, within the packet; null if malformed. */
function readVarInt(p: ParserInternals): number | null {
  let value = 0;
  let multiplier = 1;
  for (let i = 0; i < 4; i++) {
    if (p._pos >= p.packet.length) return null;
    const byte = p._list.readUInt8(p._pos++);
    value += (byte & 0x7f) * multiplier;
    if ((byte & 0x80) === 0) {
      // [MQTT-1.5.5-1] the minimum number of bytes
      if (i > 0 && byte === 0) return null;
      return value;
    }
    multiplier *= 128;
  }
  return null;
}

/** Commands whose property block may be omitted entirely (remaining length too short). */
const OPTIONAL_PROPERTIES = new Set(["disconnect", "auth", "puback", "pubrec", "pubrel", "pubcomp"]);

/** MQTT 5 property list, read strictly: bounded, typed, no repeats. */
function strictProperties(this: ParserInternals): RawProperties | false {
  const result: RawProperties = {};
  if (this._pos === this.packet.length && OPTIONAL_PROPERTIES.has(this.packet.cmd)) return result;
  const fail = (e: MqttProtocolError): false => {
    this._emitError(e);
    return false;
  };
  const length = readVarInt(this);
  if (length === null) return fail(malformed("bad property length"));
  const end = this._pos + length;
  if (end > this.packet.length) return fail(malformed("properties overrun the packet"));
  while (this._pos < end) {
    const id = readVarInt(this);
    const entry = id === null ? undefined : PROPERTIES[id];
    if (entry === undefined) return fail(malformed(`unknown property identifier ${String(id)}`));
    const [name, type] = entry;
    const value = readValue(this, type);
    if (value === null || this._pos > end) return fail(malformed(`property ${name} is truncated`));
    if (name === "userProperties" || name === "subscriptionIdentifier") {
      const list = (result[name] ??= []) as unknown[];
      list.push(value);
    } else if (name in result) {
      return fail(protocolViolation(`property ${name} included more than once`));
    } else {
      result[name] = value;
    }
  }
  return result;
}

function readValue(p: ParserInternals, type: PropertyType): unknown {
  switch (type) {
    case "byte": {
      if (p._pos >= p.packet.length) return null;
      const byte = p._list.readUInt8(p._pos++);
      // Every byte-typed property is 0 or 1, except Maximum QoS which the caller range-checks.
      return byte;
    }
    case "int16": {
      if (p._pos + 2 > p.packet.length) return null;
      return p._parseNum();
    }
    case "int32": {
      if (p._pos + 4 > p.packet.length) return null;
      return p._parse4ByteNum();
    }
    case "var":
      return readVarInt(p);
    case "string":
      return p._parseString();
    case "binary": {
      const value = p._parseBuffer();
      return value === null ? null : new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    }
    case "pair": {
      const name = p._parseString();
      if (name === null) return null;
      const value = p._parseString();
      return value === null ? null : [name, value];
    }
  }
}
