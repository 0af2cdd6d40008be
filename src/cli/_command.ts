/**
 * What every `kinetik` subcommand is: a name, its options and help, and a `run` that calls
 * the library through the {@linkcode CliContext}. @module
 */

import type { Queue } from "../queue.ts";
import { type OptionSpec, type ParsedArgs, UsageError } from "./_args.ts";
import type { Paint } from "./_format.ts";
import type { HttpServing } from "./serve.ts";

/** Where a command writes, and how. */
export interface CliContext {
  /** The queue to work on (opened from `--store`, or the script's own under `cli()`). */
  queue: Queue;
  /** Whether the queue is the script's own, with its task definitions (`cli()` middleware). */
  isLocal: boolean;
  /**
   * The store as messages name it (`sqlite:kinetik.db`, passwords masked); unset for the
   * script's own queue, whose store the script chose.
   */
  store?: string;
  /** Writes a warning to standard error (as JSON with `--json`). */
  warn(message: string): void;
  /** Writes to standard output. */
  out(text: string): void;
  /** Writes a note to standard error (kept off stdout, so pipes get data only). */
  note(text: string): void;
  /** Whether standard output is a terminal (progress bars redraw in place). */
  isTTY: boolean;
  /** Colours text when colour is on. */
  paint: Paint;
  /** `--json` was given. */
  json: boolean;
  /** Aborted on SIGINT/SIGTERM: long-running commands (`watch`) stop. */
  signal: AbortSignal;
  /**
   * Asks a yes/no question on the terminal; `undefined` when there is nobody to ask (stdin is
   * not a terminal), so a command that needs an answer asks for `--yes` instead.
   */
  confirm?: (question: string) => Promise<boolean>;
  /** The program name as help shows it: `kinetik`. */
  program: string;
  /** Loads `http/` for `serve`; unset: imported at run time. */
  loadHttp?: () => Promise<HttpServing>;
}

/** One subcommand. */
export interface Command {
  name: string;
  /** One line for the command list. */
  summary: string;
  /** The arguments after the name, e.g. `ID` or `TASK [JSON]`. */
  usage: string;
  /** Command-specific options (`--store`, `--json` and `--help` are global). */
  options: OptionSpec;
  /** Help lines for the options: `[flag, description]`. */
  optionHelp: [string, string][];
  /** Example invocations after the program name, with a comment each. */
  examples: [string, string][];
  /** How many positional arguments it takes at most. */
  maxPositionals: number;
  /**
   * Whether it may create the store (only `add`): the others refuse a SQLite file that does
   * not exist rather than create an empty one to read.
   */
  createsStore?: boolean;
  /** Runs it; resolves to the exit code (0 unless said otherwise). Throws to fail. */
  run(context: CliContext, args: ParsedArgs): Promise<number | void>;
}

/** A job id positional, or a usage error when it is missing. */
export function jobIdArgument(command: string, args: ParsedArgs): string {
  const id = args.positionals[0];
  if (id === undefined || id === "") {
    throw new UsageError(`${command} needs a job id: kinetik ${command} ID`);
  }
  return id;
}

/** Prints `value` as indented JSON. */
export function printJson(context: CliContext, value: unknown): void {
  context.out(JSON.stringify(value, null, 2) + "\n");
}

/** ` in sqlite:kinetik.db`, or nothing for the script's own queue. */
export function inStore(context: CliContext, preposition = "in"): string {
  return context.store === undefined ? "" : ` ${preposition} ${context.store}`;
}
