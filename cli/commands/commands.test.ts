/** The command files of cli/commands/: every command and subcommand the README lists is registered. */
import { describe, expect, it } from "vitest";
import { Command } from "commander";
import { loadCommands } from "../main";

describe("umbra commands", () => {
  it("registers the registry, credential, shadow, live, command, method and simulator commands", async () => {
    const program = new Command();
    for (const c of await loadCommands()) c.register(program);
    const names = (cmd: Command): string[] => cmd.commands.flatMap((c) => [c.name(), ...names(c).map((n) => `${c.name()} ${n}`)]);
    expect(names(program).sort()).toEqual(
      [
        "call",
        "credentials",
        "credentials issue",
        "credentials list",
        "credentials revoke",
        "credentials rotate",
        "devices",
        "devices create",
        "devices delete",
        "devices get",
        "devices list",
        "gateway",
        "send",
        "shadow",
        "shadow get",
        "shadow history",
        "shadow set-desired",
        "simulate",
        "tail",
      ].sort(),
    );
  });
});
