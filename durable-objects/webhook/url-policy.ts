/**
 * Which URLs a webhook may call (pure): http(s) only, no credentials in the URL, and — when
 * deployed — no loopback, private, link-local, unique-local, CGNAT, unspecified or other
 * special-purpose address (RFC 6890; also inside IPv6 forms that carry an IPv4 one) and no
 * `localhost` name, so a webhook cannot be pointed at the hub's own network (SSRF). Local
 * development allows them (`WEBHOOK_ALLOW_PRIVATE="true"`), so tests can receive on 127.0.0.1.
 * Checked when a webhook is created or changed, and again before every delivery. Names are
 * not resolved here (a Worker has no resolver); Cloudflare's outbound fetch reaches only
 * public addresses, and redirects are never followed.
 */

/**
 * Why `text` is refused as a webhook URL, or null when it is acceptable.
 * @example urlProblem("http://127.0.0.1:9000/hook", false) // "loopback, private and link-local addresses are refused …"
 * @example urlProblem("http://127.0.0.1:9000/hook", true) // null
 */
export function urlProblem(text: string, allowPrivate: boolean): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return "only http and https URLs are allowed";
  if (url.username || url.password) return "credentials in the URL are not allowed (use a secret path or query instead)";
  if (allowPrivate) return null;
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host === "localhost" || host.endsWith(".localhost")) return "localhost names are refused";
  // The WHATWG parser has already turned 0x7f.1, 2130706433 and friends into dotted quads.
  const v4 = parseIPv4(host);
  if (v4 && isPrivateIPv4(v4)) return PRIVATE;
  if (host.startsWith("[") && host.endsWith("]")) {
    const v6 = parseIPv6(host.slice(1, -1));
    if (!v6 || isPrivateIPv6(v6)) return PRIVATE;
  }
  return null;
}

const PRIVATE = "loopback, private, link-local and unique-local addresses are refused (allowed only with WEBHOOK_ALLOW_PRIVATE=true, in local development)";

function parseIPv4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

/** Not a public unicast address (RFC 6890's special-purpose registry): refused when deployed. */
function isPrivateIPv4([a, b, c]: number[]): boolean {
  if (a === undefined || b === undefined || c === undefined) return true;
  return (
    a === 0 || // "this network", 0.0.0.0 reaches the local host
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // CGNAT, RFC 6598
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 192 && b === 0 && (c === 0 || c === 2)) || // IETF protocol assignments, TEST-NET-1
    (a === 192 && b === 88 && c === 99) || // 6to4 relay anycast
    (a === 198 && (b === 18 || b === 19)) || // benchmarking, RFC 2544
    (a === 198 && b === 51 && c === 100) || // TEST-NET-2
    (a === 203 && b === 0 && c === 113) || // TEST-NET-3
    a >= 224 // multicast and reserved
  );
}

/**
 * Eight 16-bit groups, or null. The WHATWG parser serializes every IPv6 host in compressed
 * hex (`[::ffff:127.0.0.1]` becomes `[::ffff:7f00:1]`), so no dotted tail reaches here.
 */
function parseIPv6(text: string): number[] | null {
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const group = (p: string) => (p === "" ? [] : p.split(":").map((h) => (/^[0-9a-f]{1,4}$/.test(h) ? parseInt(h, 16) : NaN)));
  const head = group(halves[0] ?? "");
  const rest = halves.length === 2 ? group(halves[1] ?? "") : [];
  const total = head.length + rest.length;
  if ([...head, ...rest].some(Number.isNaN) || total > 8 || (halves.length === 1 && total !== 8)) return null;
  return [...head, ...Array<number>(8 - total).fill(0), ...rest];
}

function isPrivateIPv6(g: number[]): boolean {
  const [a = 0, b = 0] = g;
  const v4 = (hi: number, lo: number) => isPrivateIPv4([hi >> 8, hi & 0xff, lo >> 8, lo & 0xff]);
  if (g.slice(0, 6).every((x) => x === 0)) return true; // ::, ::1 and IPv4-compatible ::a.b.c.d (deprecated, RFC 4291)
  if ((a & 0xfe00) === 0xfc00) return true; // unique local fc00::/7
  if ((a & 0xffc0) === 0xfe80) return true; // link-local fe80::/10
  if ((a & 0xff00) === 0xff00) return true; // multicast
  if (a === 0x2001 && (b === 0 || b === 0xdb8)) return true; // Teredo (hides an IPv4 address), documentation
  if (a === 0x100 && g.slice(1, 4).every((x) => x === 0)) return true; // discard-only 100::/64
  if (a === 0x64 && b === 0xff9b && g[2] === 1) return true; // NAT64 local use 64:ff9b:1::/48, RFC 8215
  // An IPv4 address inside: mapped ::ffff:a.b.c.d, translated ::ffff:0:a.b.c.d, NAT64 64:ff9b::a.b.c.d, 6to4 2002:a.b.c.d::
  const mapped = g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff;
  const translated = g.slice(0, 4).every((x) => x === 0) && g[4] === 0xffff && g[5] === 0;
  const nat64 = a === 0x64 && b === 0xff9b && g.slice(2, 6).every((x) => x === 0);
  if (mapped || translated || nat64) return v4(g[6]!, g[7]!);
  if (a === 0x2002) return v4(b, g[2]!);
  return false;
}
