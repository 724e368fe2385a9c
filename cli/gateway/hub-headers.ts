/**
 * What the gateway tells the hub about a device: with a gateway key (`--gateway-key`, the hub's
 * `GATEWAY_KEY`), the key and the device's own address in `Forwarded: for=` (RFC 7239). The hub
 * then counts failed sign-ins, and shows presence, per device address instead of the gateway's,
 * so one device with a bad token does not lock out the others behind the same gateway.
 */

/** The address as the hub should see it: IPv4-mapped IPv6 (`::ffff:a.b.c.d`) as plain IPv4. */
export function deviceAddress(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1]! : address;
}

/** RFC 7239 `for=` value: IPv6 quoted in brackets, IPv4 bare. */
export function forwardedHeader(address: string): string {
  const a = deviceAddress(address);
  return a.includes(":") ? `for="[${a}]"` : `for=${a}`;
}

/** Headers for the hub WebSocket of a device at `address` (none without a gateway key). */
export function hubHeaders(gatewayKey: string | undefined, address: string | undefined): Record<string, string> {
  if (!gatewayKey || !address) return {};
  return { "umbra-gateway-key": gatewayKey, forwarded: forwardedHeader(address) };
}

/**
 * Why a device's hub WebSocket did not open, for logs and CoAP diagnostics: an HTTP answer to
 * the upgrade is a refusal (401 with a gateway key: the hub does not take that key), anything
 * else is the hub out of reach.
 * @example hubFailure("Unexpected server response: 401", true) // "hub refused the connection: HTTP 401 (the hub does not take this --gateway-key)"
 */
export function hubFailure(message: string, withGatewayKey: boolean): string {
  const status = /^Unexpected server response: (\d{3})$/.exec(message)?.[1];
  if (status === undefined) return `hub unreachable: ${message}`;
  return `hub refused the connection: HTTP ${status}${status === "401" && withGatewayKey ? " (the hub does not take this --gateway-key)" : ""}`;
}
