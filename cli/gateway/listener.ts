/** What each listening side of the gateway is, and how log lines name a peer. */

/** A listening side of the gateway (TCP MQTT or UDP CoAP). */
export interface Listener {
  host: string;
  port: number;
  /** Stops accepting and ends every session. */
  close(): Promise<void>;
}

/** `host:port`, with IPv6 addresses in brackets. */
export function peerName(address: string | undefined, port: number | undefined): string {
  const a = address ?? "?";
  return `${a.includes(":") ? `[${a}]` : a}:${port ?? 0}`;
}
