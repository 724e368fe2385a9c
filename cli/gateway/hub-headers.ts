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
