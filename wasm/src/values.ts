/**
 * Value classes for CBOR items that have no plain JS counterpart.
 * @module
 */

/**
 * A tagged data item (RFC 8949 §3.4) whose tag the decoder does not interpret.
 * Tags 2 and 3 (bignums) decode to `bigint` instead.
 * @example
 * encode(new Tagged(1, 1363896240)) // epoch-based date/time, §3.4.2
 */
export class Tagged {
  constructor(
    /** Tag number (a `bigint` when above 2^53 - 1). */
    readonly tag: number | bigint,
    /** Tag content. */
    readonly value: unknown,
  ) {}
}

/**
 * A simple value (RFC 8949 §3.3) other than false, true, null and undefined:
 * 0..19 or 32..255.
 */
export class Simple {
  /** The simple value number. */
  readonly value: number;

  constructor(value: number) {
    if (!Number.isInteger(value) || value < 0 || value > 255 || (value >= 20 && value < 32)) {
      throw new RangeError(`not an unassigned simple value: ${value}`);
    }
    this.value = value;
  }
}
