/**
 * The `--help` texts of the `kinetik` command and of each subcommand. @module
 */

import { DEFAULT_STORE_URL } from "../open_store.ts";
import type { Command } from "./_command.ts";

const GLOBAL_HELP: [string, string][] = [
  ["--store URL", `the store: sqlite:PATH, redis://…, mongodb://…, postgres://…, memory:`],
  ["", `(env KINETIK_STORE, default ${DEFAULT_STORE_URL})`],
  ["--json", "print JSON instead of tables"],
  ["-h, --help", "show help"],
];

const EXIT_HELP = [
  "Exit codes:",
  "  0  success",
  "  1  failure: unknown job, job in the wrong status, store unreachable",
  "  2  usage error: unknown command or option, bad argument (JSON, duration, store URL)",
];

function options(rows: [string, string][]): string[] {
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`);
}

function examples(rows: [string, string][], program: string): string[] {
  return rows.flatMap(([args, comment]) => [`  # ${comment}`, `  ${program} ${args}`]);
}

/** The help of the whole command: commands, global options, examples, exit codes. */
export function mainHelp(commands: readonly Command[], program: string): string {
  const width = Math.max(...commands.map((c) => `${c.name} ${c.usage}`.length));
  return [
    `${program}: inspect and drive a Kinetik job queue`,
    "",
    `Usage: ${program} COMMAND [options]`,
    "",
    "Commands:",
    ...commands.map((c) => `  ${`${c.name} ${c.usage}`.padEnd(width)}  ${c.summary}`),
    "",
    "Options:",
    ...options([...GLOBAL_HELP, ["-V, --version", "print the version"]]),
    "",
    "Examples:",
    ...examples([
      ["tasks", "what the workers on this store run"],
      ["jobs --status failed", "how many jobs failed, by task"],
      [`add "send email" '{"to":"ford@example.com"}'`, "queue a job"],
      ["watch", "follow every worker live"],
      ["--store redis://127.0.0.1:6379 jobs", "another store"],
    ], program),
    "",
    ...EXIT_HELP,
    "",
    `Run '${program} COMMAND --help' for a command's options.`,
    "",
  ].join("\n");
}

/** The first flag of a help row: `--json` of `--json`, `-h` of `-h, --help`. */
function flagOf(row: [string, string]): string {
  return row[0].split(/[ ,=]/)[0];
}

/** The global options' help, less those the command describes itself (`watch --json`). */
function globalHelpBesides(command: Command): [string, string][] {
  const own = new Set(command.optionHelp.map(flagOf));
  return GLOBAL_HELP.filter((row) => flagOf(row) === "" || !own.has(flagOf(row)));
}

/** The help of one subcommand. */
export function commandHelp(command: Command, program: string): string {
  return [
    `${program} ${command.name}: ${command.summary}`,
    "",
    `Usage: ${program} ${command.name}${command.usage ? ` ${command.usage}` : ""} [options]`,
    "",
    "Options:",
    ...options([...command.optionHelp, ...globalHelpBesides(command)]),
    "",
    "Examples:",
    ...examples(command.examples, program),
    "",
    ...EXIT_HELP,
    "",
  ].join("\n");
}
