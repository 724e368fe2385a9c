import { decode as cborDecode, encode as cborEncode } from "cbor-x";
import type { CoapHost, HostResult, TelemetryFormat, TelemetryResult } from "../host";
import { conditionHolds, type ShadowCondition } from "../../../shadow/shadow-condition";
import type { ShadowRecord } from "../../../shadow/shadow-types";
import { DEFAULT_JSON_MAX_DEPTH } from "../../json-depth";

type Doc = Record<string, unknown>;
interface Shadow {
  desired: Doc;
  reported: Doc;
  version: number;
}

function isRecord(v: unknown): v is Doc {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** An in-memory host with just enough AWS shadow semantics to drive every session path. */
export class FakeHost implements CoapHost {
  readonly tokens = new Set(["secret"]);
  /** JSON_MAX_DEPTH's default; a test may set another. */
  maxDepth = DEFAULT_JSON_MAX_DEPTH;
  readonly shadows = new Map<string, Shadow>();
  readonly telemetryLog: { format: TelemetryFormat; payload: Uint8Array }[] = [];
  readonly calls: string[] = [];
  telemetryResult: TelemetryResult = { status: 204, accepted: 1 };
  /** Host methods that reject, to prove a failing host costs one request only. */
  readonly failing = new Set<string>();
  /** Runs just before an update applies (simulates a concurrent writer). */
  beforeUpdate: (() => void) | undefined;
  delayMs = 0;
  /** What `admit` answers: milliseconds until the device's rate lets a request run (0: now). */
  admitWait = 0;

  admit(): number {
    return this.admitWait;
  }

  private async step(name: string): Promise<void> {
    this.calls.push(name);
    if (this.delayMs > 0) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failing.has(name)) throw new Error(`${name} failed`);
  }

  /** Set: `authenticate` answers that the address is locked out for this many seconds. */
  lockedFor: number | undefined;

  async authenticate(token: string): Promise<boolean | { retryAfterSeconds: number }> {
    await this.step("authenticate");
    if (this.lockedFor !== undefined) return { retryAfterSeconds: this.lockedFor };
    return this.tokens.has(token);
  }

  async shadowGet(name: string | null): Promise<HostResult> {
    await this.step("shadowGet");
    const s = this.shadows.get(name ?? "");
    if (s === undefined) return { status: 404, body: { code: 404, message: `No shadow exists with name: '${name ?? "classic"}'` } };
    return { status: 200, body: { state: { desired: s.desired, reported: s.reported, delta: this.delta(s) }, version: s.version, timestamp: 1 } };
  }

  /** 412 when `condition` fails on the shadow as it is now (the device object checks it as it writes). */
  private unmet(name: string | null, condition: ShadowCondition | undefined): HostResult | null {
    const s = this.shadows.get(name ?? "");
    const record = s === undefined ? null : ({ state: {}, metadata: {}, version: s.version, timestamp: 1 } as unknown as ShadowRecord);
    return condition && !conditionHolds(record, condition) ? { status: 412, body: { code: 412, message: "Precondition failed" } } : null;
  }

  async shadowUpdate(name: string | null, body: unknown, condition?: ShadowCondition): Promise<HostResult> {
    await this.step("shadowUpdate");
    this.beforeUpdate?.();
    const unmet = this.unmet(name, condition);
    if (unmet) return unmet;
    if (!isRecord(body) || !isRecord(body.state)) return { status: 400, body: { code: 400, message: "Missing required node: state" } };
    const current = this.shadows.get(name ?? "") ?? { desired: {}, reported: {}, version: 0 };
    if (body.version !== undefined && body.version !== current.version) {
      return { status: 409, body: { code: 409, message: "Version conflict" } };
    }
    const next: Shadow = {
      desired: { ...current.desired, ...(isRecord(body.state.desired) ? body.state.desired : {}) },
      reported: { ...current.reported, ...(isRecord(body.state.reported) ? body.state.reported : {}) },
      version: current.version + 1,
    };
    this.shadows.set(name ?? "", next);
    return { status: 200, body: { state: body.state, version: next.version, timestamp: 2, clientToken: body.clientToken } };
  }

  async shadowDelete(name: string | null, version?: number, condition?: ShadowCondition): Promise<HostResult> {
    await this.step("shadowDelete");
    this.beforeUpdate?.();
    const unmet = this.unmet(name, condition);
    if (unmet) return unmet;
    const s = this.shadows.get(name ?? "");
    if (s === undefined) return { status: 404, body: { code: 404, message: "No shadow exists" } };
    if (version !== undefined && version !== s.version) return { status: 409, body: { code: 409, message: "Version conflict" } };
    this.shadows.delete(name ?? "");
    return { status: 200, body: { version: s.version, timestamp: 3 } };
  }

  async shadowDelta(name: string | null): Promise<unknown> {
    await this.step("shadowDelta");
    const s = this.shadows.get(name ?? "");
    return s === undefined ? {} : this.delta(s);
  }

  async telemetry(format: TelemetryFormat, payload: Uint8Array): Promise<TelemetryResult> {
    await this.step("telemetry");
    this.telemetryLog.push({ format, payload });
    return this.telemetryResult;
  }

  /** Resources the client observes, results and answers the device sent, and ids that are pending. */
  readonly observed: string[] = [];
  readonly answers: { resource: string; id: string; status: unknown; value: unknown }[] = [];
  readonly pending = new Set<string>();

  async observe(resource: "commands" | "methods"): Promise<void> {
    await this.step("observe");
    this.observed.push(resource);
  }

  async commandResult(id: string, status: string, result: unknown): Promise<boolean> {
    await this.step("commandResult");
    this.answers.push({ resource: "commands", id, status, value: result });
    return this.pending.delete(id);
  }

  async methodResponse(id: string, status: number, payload: unknown): Promise<boolean> {
    await this.step("methodResponse");
    this.answers.push({ resource: "methods", id, status, value: payload });
    return this.pending.delete(id);
  }

  decodeCbor(bytes: Uint8Array): unknown {
    return cborDecode(bytes);
  }

  encodeCbor(value: unknown): Uint8Array {
    if (this.failing.has("encodeCbor")) throw new Error("encodeCbor failed");
    return cborEncode(value);
  }

  /** Desired fields that differ from reported. */
  delta(s: Shadow): Doc {
    return Object.fromEntries(Object.entries(s.desired).filter(([k, v]) => JSON.stringify(s.reported[k]) !== JSON.stringify(v)));
  }
}
