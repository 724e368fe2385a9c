/**
 * Command-line options shared by benchmarks, soaks and fuzzers: `--name value`, `--name=value`
 * and bare `--flag`. Positional words (the scenario names) are kept apart.
 */

/** Parsed command line. */
export class Args {
  readonly positional: string[] = [];
  private readonly values = new Map<string, string>();

  constructor(argv: readonly string[] = process.argv.slice(2)) {
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i];
      if (!a.startsWith("--")) {
        this.positional.push(a);
        continue;
      }
      const eq = a.indexOf("=");
      if (eq > 0) this.values.set(a.slice(2, eq), a.slice(eq + 1));
      else if (i + 1 < argv.length && !argv[i + 1].startsWith("--")) this.values.set(a.slice(2), argv[++i]);
      else this.values.set(a.slice(2), "true");
    }
  }

  /** A positive number option, else `fallback`; a malformed value is an error, not a silent default. */
  num(name: string, fallback: number): number {
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    const v = Number(raw);
    if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} wants a non-negative number, got "${raw}"`);
    return v;
  }

  /** A string option, else `fallback`. */
  str(name: string, fallback: string): string {
    return this.values.get(name) ?? fallback;
  }

  /** One of `choices`, else `fallback`. */
  choice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
    const raw = this.values.get(name);
    if (raw === undefined) return fallback;
    if (!(choices as readonly string[]).includes(raw)) throw new Error(`--${name} must be one of ${choices.join(", ")}, got "${raw}"`);
    return raw as T;
  }

  /** True when `--name` was given (bare or `true`). */
  flag(name: string): boolean {
    const raw = this.values.get(name);
    return raw !== undefined && raw !== "false" && raw !== "0";
  }

  /** The options again as argv, for a child process that must see the same ones. */
  toArgv(): string[] {
    return [...this.values].flatMap(([k, v]) => [`--${k}`, v]);
  }
}
