/**
 * The `--help` texts of the `kinetik` command (`src/cli/help.ts`).
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { commandHelp, mainHelp } from "../src/cli/help.ts";
import { COMMANDS } from "../src/cli/run_cli.ts";

/** The flags the Options section of a help text lists, in order. */
function optionFlags(help: string): string[] {
  const section = help.slice(help.indexOf("Options:\n"), help.indexOf("\nExamples:"));
  return [...section.matchAll(/^ {2}(-[^\s,]+)(?:, (--\S+))?/gm)].map((m) => m[2] ?? m[1]);
}

test("commandHelp() lists each option once, the command's own wording first", () => {
  for (const command of COMMANDS) {
    const flags = optionFlags(commandHelp(command, "kinetik"));
    assert.deepEqual(flags, [...new Set(flags)], `kinetik ${command.name} --help`);
    for (const flag of ["--store", "--json", "--help"]) {
      assert.ok(flags.includes(flag), `kinetik ${command.name} --help lists ${flag}`);
    }
  }
  const watch = commandHelp(COMMANDS.find((c) => c.name === "watch")!, "kinetik");
  assert.match(watch, /--json +one JSON event per line/);
  assert.doesNotMatch(watch, /--json +print JSON instead of tables/);
});

test("mainHelp() lists the commands and --version", () => {
  const help = mainHelp(COMMANDS, "kinetik");
  for (const command of COMMANDS) assert.match(help, new RegExp(`^ {2}${command.name}\\b`, "m"));
  assert.deepEqual(optionFlags(help), ["--store", "--json", "--help", "--version"]);
});
