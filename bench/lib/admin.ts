/**
 * The hub's public REST API as benchmarks, soaks and crash tests use it: provisioning devices
 * and channels in bulk, and reading back what was stored (telemetry rows, shadows) to prove
 * that every acknowledged message is there. Plain `fetch`, no test framework.
 */

/** A REST answer that was not the expected status. */
export class ApiStatusError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "ApiStatusError";
  }
}

/** One stored telemetry sample as `GET /v1/devices/:id/telemetry` returns it. */
export interface TelemetryItem {
  ts: number;
  data: Record<string, unknown>;
}

/** A shadow document as `GET /v1/devices/:id/shadow` returns it. */
export interface ShadowDoc {
  version: number;
  state: { desired?: Record<string, unknown>; reported?: Record<string, unknown>; delta?: Record<string, unknown> };
}

/** Runs `f` over `items` with at most `limit` at a time, keeping order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, f: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** An admin (or device) session against one hub. */
export class Admin {
  /** @param base `http://127.0.0.1:<port>`  @param token the admin token (or any bearer). */
  constructor(readonly base: string, readonly token: string) {}

  /** Sends a request; fails with the body unless the status is `status`. */
  async request<T>(method: string, path: string, status: number, body?: unknown, token = this.token): Promise<T> {
    const r = await fetch(`${this.base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (r.status !== status) throw new ApiStatusError(r.status, `${method} ${path}: expected ${status}, got ${r.status}: ${text.slice(0, 300)}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  /** Registers a device and returns its token. */
  async createDevice(id: string): Promise<string> {
    const created = await this.request<{ credential: { token: string } }>("POST", "/v1/devices", 201, { id });
    return created.credential.token;
  }

  /** Registers many devices (a few requests at a time); returns id → token. */
  async createDevices(ids: readonly string[], concurrency = 8): Promise<Map<string, string>> {
    const tokens = await mapLimit(ids, concurrency, (id) => this.createDevice(id));
    return new Map(ids.map((id, i) => [id, tokens[i]]));
  }

  /** Creates a channel and connects the devices to it. */
  async createChannel(id: string, deviceIds: readonly string[], concurrency = 8): Promise<void> {
    await this.request("POST", "/v1/channels", 201, { id });
    await mapLimit(deviceIds, concurrency, (d) => this.request("PUT", `/v1/channels/${id}/devices/${d}`, 204));
  }

  /** Every stored telemetry sample of a device, oldest first (follows the cursor). */
  async telemetry(deviceId: string): Promise<TelemetryItem[]> {
    const items: TelemetryItem[] = [];
    let cursor: string | null = null;
    do {
      const q: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
      const page: { items: TelemetryItem[]; next_cursor: string | null } = await this.request("GET", `/v1/devices/${deviceId}/telemetry?limit=10000${q}`, 200);
      items.push(...page.items);
      cursor = page.next_cursor;
    } while (cursor);
    return items;
  }

  /** The classic shadow of a device. */
  shadow(deviceId: string): Promise<ShadowDoc> {
    return this.request<ShadowDoc>("GET", `/v1/devices/${deviceId}/shadow`, 200);
  }

  /** Sets `desired` over REST (an app's shadow write); returns the new version. */
  async setDesired(deviceId: string, desired: Record<string, unknown>): Promise<number> {
    return (await this.request<{ version: number }>("POST", `/v1/devices/${deviceId}/shadow`, 200, { state: { desired } })).version;
  }

  /** True when `/health` answers 200. */
  async healthy(): Promise<boolean> {
    try {
      return (await fetch(`${this.base}/health`)).ok;
    } catch {
      return false;
    }
  }
}
