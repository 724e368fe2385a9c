/**
 * A device's application handlers (delta, command, method, status, error) and how their results
 * become protocol answers. What arrives before its handler is registered waits for it (the hub
 * pushes the open delta and queued commands right after connecting). Command ids seen recently
 * are remembered, so a redelivered command is answered again rather than run twice.
 */
import { CommandRejected, MethodError } from "./errors";
import type { CommandStatus, JsonObject, JsonValue } from "./messages";
import type { Command, Drop, MethodCall, TransportEvents } from "./transport";
import { isJsonValue } from "../protocols/json-value";

/** Called with each non-empty delta. */
export type DeltaHandler = (state: JsonObject, info: { shadow: string; version: number }) => unknown;

/** A change of the device's connection. */
export type DeviceStatus =
  | { kind: "connected"; reconnect: boolean }
  | { kind: "disconnected"; reason: string }
  | { kind: "stopped"; reason: string };

type CommandRespond = (status: CommandStatus, result: JsonValue) => void;
type MethodRespond = (status: number, payload: JsonValue) => void;
type MethodHandler = (payload: JsonValue, call: { id: string; name: string }) => unknown;

/** How many command outcomes are remembered for redeliveries. */
const REMEMBERED_COMMANDS = 256;

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A handler's return value as JSON (`undefined` → `null`); a non-JSON value is an error. */
function asJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  if (!isJsonValue(value)) throw new TypeError("the handler returned a value that is not JSON");
  return value;
}

/** The handlers of one device. */
export class DeviceHandlers {
  private readonly deltas = new Set<DeltaHandler>();
  private readonly waitingDeltas = new Map<string, { state: JsonObject; version: number }>();
  private command: ((c: Command) => unknown) | null = null;
  private readonly waitingCommands: [Command, CommandRespond][] = [];
  private readonly outcomes = new Map<string, { status: CommandStatus; result: JsonValue } | "running">();
  private readonly methods = new Map<string, MethodHandler>();
  private readonly waitingMethods: [MethodCall, MethodRespond][] = [];
  private readonly statusListeners: ((s: DeviceStatus) => void)[] = [];
  private readonly errorListeners: ((e: Error) => void)[] = [];

  /** The callbacks a transport makes, routed here; `drop` goes to the device. */
  transportEvents(drop: (d: Drop) => void): TransportEvents {
    return {
      delta: (shadow, state, version) => this.delta(shadow, state, version),
      command: (c, respond) => (this.command ? this.runCommand(c, respond) : this.waitingCommands.push([c, respond])),
      method: (call, respond) => (this.methods.size ? this.runMethod(call, respond) : this.waitingMethods.push([call, respond])),
      drop,
      error: (e) => this.error(e),
    };
  }

  addDelta(handler: DeltaHandler): () => void {
    this.deltas.add(handler);
    for (const [shadow, d] of [...this.waitingDeltas]) this.delta(shadow, d.state, d.version);
    this.waitingDeltas.clear();
    return () => this.deltas.delete(handler);
  }

  setCommand(handler: (c: Command) => unknown): void {
    this.command = handler;
    for (const [c, respond] of this.waitingCommands.splice(0)) this.runCommand(c, respond);
  }

  setMethod(name: string, handler: MethodHandler): void {
    this.methods.set(name, handler);
    for (const [call, respond] of this.waitingMethods.splice(0)) this.runMethod(call, respond);
  }

  onStatus(listener: (s: DeviceStatus) => void): void {
    this.statusListeners.push(listener);
  }

  onError(listener: (e: Error) => void): void {
    this.errorListeners.push(listener);
  }

  status(s: DeviceStatus): void {
    for (const l of this.statusListeners) l(s);
  }

  error(e: Error): void {
    for (const l of this.errorListeners) l(e);
  }

  private delta(shadow: string, state: JsonObject, version: number): void {
    if (this.deltas.size === 0) {
      this.waitingDeltas.set(shadow, { state, version });
      return;
    }
    for (const h of this.deltas) {
      Promise.resolve()
        .then(() => h(state, { shadow, version }))
        .catch((e: unknown) => this.error(new Error(`delta handler: ${errorText(e)}`)));
    }
  }

  private runCommand(c: Command, respond: CommandRespond): void {
    const known = this.outcomes.get(c.id);
    if (known === "running") return;
    if (known !== undefined) return respond(known.status, known.result);
    this.remember(c.id, "running");
    const handler = this.command;
    const finish = (status: CommandStatus, result: JsonValue) => {
      this.remember(c.id, { status, result });
      respond(status, result);
    };
    Promise.resolve()
      .then(() => handler?.(c))
      .then(
        (value) => finish("completed", asJson(value)),
        (e: unknown) => {
          if (e instanceof CommandRejected) finish("rejected", e.result ?? { error: e.message });
          else finish("failed", { error: errorText(e) });
        },
      )
      .catch((e: unknown) => finish("failed", { error: errorText(e) }));
  }

  private remember(id: string, outcome: { status: CommandStatus; result: JsonValue } | "running"): void {
    this.outcomes.delete(id);
    this.outcomes.set(id, outcome);
    if (this.outcomes.size > REMEMBERED_COMMANDS) {
      const oldest = this.outcomes.keys().next().value;
      if (oldest !== undefined) this.outcomes.delete(oldest);
    }
  }

  private runMethod(call: MethodCall, respond: MethodRespond): void {
    const handler = this.methods.get(call.name) ?? this.methods.get("*");
    if (handler === undefined) return respond(404, { error: `no method ${JSON.stringify(call.name)} on this device` });
    Promise.resolve()
      .then(() => handler(call.payload, { id: call.id, name: call.name }))
      .then(
        (value) => respond(200, asJson(value)),
        (e: unknown) => {
          if (e instanceof MethodError) respond(e.status, e.payload ?? { error: e.message });
          else respond(500, { error: errorText(e) });
        },
      )
      .catch((e: unknown) => respond(500, { error: errorText(e) }));
  }
}
