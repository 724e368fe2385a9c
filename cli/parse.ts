/** Option value parsers for commands; a bad value is a usage error (exit code 2). */
import { InvalidArgumentError } from "commander";

/** An integer in [min, max]. */
function integer(value: string, min: number, max: number, what: string): number {
  if (!/^-?\d+$/.test(value)) throw new InvalidArgumentError(`${what} must be a whole number`);
  const n = Number(value);
  if (n < min || n > max) throw new InvalidArgumentError(`${what} must be between ${min} and ${max}`);
  return n;
}

/** A TCP/UDP port, 0 meaning "any free port". */
export function parsePort(value: string): number {
  return integer(value, 0, 65535, "a port");
}

/** A count of at least 1. */
export function parseCount(value: string): number {
  return integer(value, 1, 1_000_000, "a count");
}

/** A command's time to live: 1 s to 30 days, as the hub takes it (`ttlSeconds`). */
export function parseCommandTtl(value: string): number {
  return integer(value, 1, 30 * 86_400, "a command TTL (seconds)");
}

/** A direct method's timeout: 1–300 seconds, as the hub takes it. */
export function parseMethodTimeout(value: string): number {
  return integer(value, 1, 300, "a method timeout (seconds)");
}

/** Seconds, 0 allowed (fractions too, e.g. 0.5). */
export function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0 || n > 86_400) throw new InvalidArgumentError("seconds must be a number from 0 to 86400");
  return n;
}
