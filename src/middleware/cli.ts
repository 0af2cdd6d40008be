/**
 * The seed's `cli` middleware: `queue.use(cli())` turns the script that defines a queue into
 * the `kinetik` command for that queue (`deno run -A queue.ts jobs`), with its own store and
 * task definitions. Run with no arguments, the script is left alone, so the same file still
 * works as a worker under `environment()`. @module
 */

import process from "node:process";
import type { Queue } from "../queue.ts";
import { args as scriptArgs } from "../runtime.ts";
import { runCli, type RunCliOptions } from "../cli/run_cli.ts";

/** Options of {@linkcode cli}. */
export interface CliOptions extends Omit<RunCliOptions, "queue"> {
  /** The command line. @default process.argv.slice(2) */
  args?: readonly string[];
  /**
   * After the command: close the queue and set `process.exitCode`, as a command line tool
   * does. `false` leaves both to the caller (tests), who gets the code from the plugin.
   * @default true
   */
  exit?: boolean;
}

/**
 * A plugin that runs the `kinetik` command line on this queue when the script has
 * arguments, and does nothing without them. The plugin returns the command's promise of its
 * exit code (0 success, 1 failure, 2 usage error), or `undefined` when it did nothing.
 *
 * @param options the arguments and where to write; see {@linkcode CliOptions}
 * @example A script that is both a worker and its own CLI
 * ```ts
 * import { cli, environment, kinetik } from "../../mod.ts";
 *
 * const queue = kinetik();
 * queue.define("send email").tag("messaging").action(async () => {});
 * queue.use(cli({ args: [] })); // no arguments: nothing happens
 * queue.use(environment([], { handleSignals: false })); // QUEUE unset: nothing either
 * await queue.close();
 * ```
 */
export function cli(options: CliOptions = {}): (queue: Queue) => Promise<number> | undefined {
  return (queue) => {
    const { args = scriptArgs(), exit = true, ...rest } = options;
    if (args.length === 0) return undefined;
    const program = rest.program ?? scriptName();
    const run = runCli(args, { ...rest, program, queue });
    if (!exit) return run;
    return run.then(async (code) => {
      await queue.close().catch((error) => queue.reportError(error));
      process.exitCode = code;
      return code;
    });
  };
}

/** `queue.ts`: how help names a script run as its own CLI. */
function scriptName(): string {
  const path = process.argv[1] ?? "";
  return path.split(/[\\/]/).pop() || "kinetik";
}
