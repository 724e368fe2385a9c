/** The `umbra` command line: global options, exit codes, command discovery. */
import { afterEach, describe, expect, it, vi } from "vitest";
import { type Command, InvalidArgumentError } from "commander";
import { defineCommand, globalOptions } from "./command";
import { CliError, ExitCode, exitCodeForStatus } from "./exit-codes";
import { DEFAULT_URL, loadCommands, main } from "./main";

const argv = (...args: string[]) => ["node", "umbra", ...args];

/** Runs `main` with one test command and captures what it saw and printed. */
async function run(args: string[], action: (cmd: Command) => void | Promise<void> = () => {}, env: Record<string, string> = {}) {
  const seen: { globals?: ReturnType<typeof globalOptions> } = {};
  const test = defineCommand((program) =>
    program
      .command("probe")
      .option("--n <n>", "a number", (v) => {
        if (!/^\d+$/.test(v)) throw new InvalidArgumentError("not a number");
        return Number(v);
      })
      .action(async (_opts: unknown, cmd: Command) => {
        seen.globals = globalOptions(cmd);
        await action(cmd);
      }),
  );
  let stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  const code = await main(argv(...args), [test]);
  return { code, stderr, seen };
}

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe("umbra global options", () => {
  it("defaults the hub URL, and takes --url and --token over UMBRA_URL and UMBRA_TOKEN", async () => {
    vi.stubEnv("UMBRA_URL", "");
    vi.stubEnv("UMBRA_TOKEN", "");
    expect((await run(["probe"], undefined, { UMBRA_URL: DEFAULT_URL })).seen.globals).toEqual({ url: DEFAULT_URL, token: undefined, json: false });
    expect((await run(["probe"], undefined, { UMBRA_URL: "http://hub:1", UMBRA_TOKEN: "t1" })).seen.globals).toEqual({ url: "http://hub:1", token: "t1", json: false });
    expect((await run(["--url", "http://hub:2", "--token", "t2", "--json", "probe"], undefined, { UMBRA_URL: "http://hub:1" })).seen.globals).toEqual({
      url: "http://hub:2",
      token: "t2",
      json: true,
    });
  });
});

describe("umbra exit codes", () => {
  it("0 for --help", async () => expect((await run(["--help"])).code).toBe(ExitCode.OK));
  it("2 for an unknown command or option, or a bad option value", async () => {
    expect((await run(["nope"])).code).toBe(ExitCode.USAGE);
    expect((await run(["probe", "--what"])).code).toBe(ExitCode.USAGE);
    expect((await run(["probe", "--n", "x"])).code).toBe(ExitCode.USAGE);
  });
  it("usage errors as one JSON line with --json, like every other error", async () => {
    for (const args of [["--json", "nope"], ["--json", "probe", "--n", "x"], ["probe", "--json", "--what"], ["--json"]]) {
      const r = await run(args);
      expect(r.code, args.join(" ")).toBe(ExitCode.USAGE);
      const lines = r.stderr.trim().split("\n");
      expect(lines, args.join(" ")).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({ error: { code: ExitCode.USAGE, message: expect.not.stringMatching(/^error:/) } });
    }
    expect((await run(["nope"])).stderr).toContain("umbra --help lists the commands");
  });
  it("2 for a --url that is not a URL", async () => expect((await run(["--url", "nope", "probe"])).code).toBe(ExitCode.USAGE));
  it("a CliError's own code and message, as JSON with --json", async () => {
    const fail = () => {
      throw new CliError(ExitCode.NOT_FOUND, "no device lamp-9");
    };
    const text = await run(["probe"], fail);
    expect(text).toMatchObject({ code: ExitCode.NOT_FOUND, stderr: "umbra: no device lamp-9\n" });
    const json = await run(["--json", "probe"], fail);
    expect(JSON.parse(json.stderr)).toEqual({ error: { code: ExitCode.NOT_FOUND, message: "no device lamp-9" } });
  });
  it("1 for anything unexpected", async () => {
    const r = await run(["probe"], () => {
      throw new TypeError("boom");
    });
    expect(r.code).toBe(ExitCode.FAILURE);
    expect(r.stderr).toContain("unexpected error: TypeError: boom");
  });
  it.each([
    [200, ExitCode.OK],
    [401, ExitCode.AUTH],
    [403, ExitCode.AUTH],
    [404, ExitCode.NOT_FOUND],
    [409, ExitCode.CONFLICT],
    [412, ExitCode.CONFLICT],
    [400, ExitCode.INVALID],
    [415, ExitCode.INVALID],
    [500, ExitCode.HUB_ERROR],
    [503, ExitCode.HUB_ERROR],
  ])("HTTP %s → %s", (status, code) => expect(exitCodeForStatus(status)).toBe(code));
});

describe("command discovery", () => {
  it("finds every file in cli/commands/, the gateway among them", async () => {
    const commands = await loadCommands();
    const { Command } = await import("commander");
    const program = new Command();
    for (const c of commands) c.register(program);
    expect(program.commands.map((c) => c.name())).toContain("gateway");
  });
});
