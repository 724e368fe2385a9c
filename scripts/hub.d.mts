// Types of scripts/hub.mjs, for the TypeScript tests and benchmarks that start a hub.
import type { ChildProcess } from "node:child_process";

export const root: string;
export function offlineEnv(extra?: Record<string, string>): NodeJS.ProcessEnv;
export function ensureDevVars(file?: string): { token: string; created: boolean };
export function applyMigrations(persistTo: string): string;
export interface Hub {
  url: string;
  child: ChildProcess;
  stop: () => Promise<void>;
  output: () => string;
}
export function startWrangler(opts: { port: number; persistTo: string; envFile?: string; stdio?: "pipe" | "inherit"; vars?: Record<string, string>; inspectorPort?: number }): Promise<Hub>;
export function freePort(): Promise<number>;
/** Whether the runtime workerd runs in wrangler's process group `group` (null without /proc). */
export function runtimeRunning(group: number): boolean | null;
