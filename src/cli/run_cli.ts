/**
 * The `kinetik` command line, as a function: find the subcommand, parse its flags, open the
 * queue, run it, and turn what went wrong into one line on stderr and an exit code. The
 * binary (`cli.ts`) and the `cli()` middleware both call {@linkcode runCli}. @module
 */

import process from "node:process";
import { createInterface } from "node:readline/promises";
import { isatty } from "node:tty";
import { defaultStoreUrl, openStore } from "../open_store.ts";
import { Queue } from "../queue.ts";
import type { Store } from "../store.ts";
import { getEnv } from "../runtime.ts";
import config from "../../deno.json" with { type: "json" };
import {
  GLOBAL_OPTIONS,
  type OptionSpec,
  parseCommandArgs,
  suggestion,
  UsageError,
} from "./_args.ts";
import { assertStoreExists, storeLabel } from "./_store.ts";
import type { CliContext, Command } from "./_command.ts";
import { painter } from "./_format.ts";
import { addCommand } from "./add.ts";
import { cancelCommand } from "./cancel.ts";
import { cleanCommand } from "./clean.ts";
import { commandHelp, mainHelp } from "./help.ts";
import { jobsCommand } from "./jobs.ts";
import { logsCommand } from "./logs.ts";
import { promoteCommand } from "./promote.ts";
import { removeCommand } from "./remove.ts";
import { pauseCommand, resumeCommand } from "./pause.ts";
import { retryCommand } from "./retry.ts";
import { schedulesCommand } from "./schedules.ts";
import { type HttpServing, serveCommand } from "./serve.ts";
import { showCommand } from "./show.ts";
import { statsCommand } from "./stats.ts";
import { tasksCommand } from "./tasks.ts";
import { unscheduleCommand } from "./unschedule.ts";
import { watchCommand } from "./watch.ts";
import { workersCommand } from "./workers.ts";

/** Every subcommand, in the order help lists them. */
export const COMMANDS: readonly Command[] = [
  tasksCommand,
  workersCommand,
  jobsCommand,
  statsCommand,
  showCommand,
  logsCommand,
  addCommand,
  cancelCommand,
  retryCommand,
  promoteCommand,
  removeCommand,
  cleanCommand,
  watchCommand,
  schedulesCommand,
  unscheduleCommand,
  pauseCommand,
  resumeCommand,
  serveCommand,
];

/** Options of `kinetik` alone, before any command. */
const TOP_OPTIONS: OptionSpec = { version: { type: "boolean", short: "V" } };

/** Kinetik's version, from deno.json. */
export const VERSION: string = config.version;

/** Exit codes of the command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** Options of {@linkcode runCli}. */
export interface RunCliOptions {
  /** Use this queue (and its task definitions) instead of opening `--store`. */
  queue?: Queue;
  /** Writes standard output. @default process.stdout */
  stdout?: (text: string) => void;
  /** Writes standard error. @default process.stderr */
  stderr?: (text: string) => void;
  /** Whether stdout is a terminal. @default whether fd 1 is a TTY */
  isTTY?: boolean;
  /** Colour output. @default a TTY with `NO_COLOR` unset */
  isColor?: boolean;
  /** Stops `watch`. @default SIGINT or SIGTERM */
  signal?: AbortSignal;
  /**
   * Asks a yes/no question (`retry --status` without `--yes`) and resolves to the answer;
   * `false`: there is nobody to ask, so `--yes` is needed.
   * @default a prompt on stderr read from stdin when stdin is a terminal, else `false`
   */
  confirm?: ((question: string) => Promise<boolean>) | false;
  /** The program name in help. @default "kinetik" */
  program?: string;
  /**
   * Opens the store of `--store`/`KINETIK_STORE`. The binary passes one whose store imports a
   * bundler can follow. @default openStore
   */
  openStore?: (url: string) => Promise<Store>;
  /**
   * Loads the HTTP API for `serve`. The binary passes an import a bundler can follow.
   * @default an import at run time
   */
  loadHttp?: () => Promise<HttpServing>;
}

/** The option names that take a value, of every command, to find the subcommand. */
const VALUED = new Set(
  [GLOBAL_OPTIONS, ...COMMANDS.map((c) => c.options)].flatMap((spec) =>
    Object.entries(spec).filter(([, o]) => o.type === "string").map(([name]) => `--${name}`)
  ),
);

/** The index of the subcommand name in `args`, skipping options and their values. */
function commandIndex(args: readonly string[]): number {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") return i + 1 < args.length ? i + 1 : -1;
    if (!arg.startsWith("-") || arg === "-") return i;
    if (VALUED.has(arg)) i++;
  }
  return -1;
}

/** Asks on the terminal: stdin for the answer, stderr for the question. */
async function askOnTerminal(question: string): Promise<boolean> {
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } finally {
    prompt.close();
  }
}

function signalOnShutdown(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.on("SIGINT", abort);
  process.on("SIGTERM", abort);
  return {
    signal: controller.signal,
    dispose() {
      process.off("SIGINT", abort);
      process.off("SIGTERM", abort);
    },
  };
}

/**
 * Opens the queue on `url`; a malformed URL is a usage error. Unless `mayCreate`, a SQLite
 * file that does not exist is an error rather than a new, empty store.
 */
async function openQueue(
  url: string,
  { mayCreate, open = openStore }: { mayCreate: boolean; open?: (url: string) => Promise<Store> },
): Promise<Queue> {
  try {
    if (!mayCreate) assertStoreExists(url);
    return new Queue(await open(url));
  } catch (error) {
    if (error instanceof TypeError) throw new UsageError(`--store: ${error.message}`);
    throw error;
  }
}

/**
 * Runs the `kinetik` command line.
 *
 * @param args the arguments after the program name, e.g. `["jobs", "--json"]`
 * @param options where to write, and the queue when the caller has one
 * @returns the exit code: 0 success, 1 failure (unknown job, store unreachable), 2 usage error
 *
 * @example Counting jobs of an in-memory queue
 * ```ts
 * import { kinetik } from "../../mod.ts";
 * import { runCli } from "./run_cli.ts";
 *
 * const queue = kinetik();
 * await queue.create("send email", { to: "ford@example.com" });
 * let out = "";
 * const code = await runCli(["jobs", "--json"], { queue, stdout: (text) => out += text });
 * if (code !== 0 || JSON.parse(out).total !== 1) throw new Error("expected one job");
 * await queue.close();
 * ```
 */
export async function runCli(
  args: readonly string[],
  options: RunCliOptions = {},
): Promise<number> {
  const stdout = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const stderr = options.stderr ?? ((text: string) => void process.stderr.write(text));
  const program = options.program ?? "kinetik";
  const isTTY = options.isTTY ?? isatty(1);
  const isColor = options.isColor ?? (isTTY && !getEnv("NO_COLOR"));
  const paint = painter(isColor);
  let queue: Queue | undefined;
  let shutdown: ReturnType<typeof signalOnShutdown> | undefined;
  // Decided before parsing, so that a usage error of a `--json` command is JSON as well.
  const isJson = args.includes("--json");
  const report = (kind: "error" | "warning", message: string, exitCode?: number) => {
    if (isJson) stderr(JSON.stringify({ [kind]: { message, exitCode } }) + "\n");
    else stderr(`${program}: ${kind === "warning" ? "warning: " : ""}${message}\n`);
  };
  try {
    const at = commandIndex(args);
    const name = at < 0 ? undefined : args[at];
    const rest = args.filter((_, i) => i !== at);
    if (name === undefined || name === "help") {
      const topic = name === "help" ? rest.find((arg) => !arg.startsWith("-")) : undefined;
      const command = COMMANDS.find((c) => c.name === topic);
      if (topic !== undefined && !command) throw unknownCommand(topic);
      const top = name === undefined ? parseCommandArgs("", rest, TOP_OPTIONS, 0) : undefined;
      if (top?.values.version) {
        stdout(
          program === "kinetik" ? `kinetik ${VERSION}\n` : `${program} (kinetik ${VERSION})\n`,
        );
        return EXIT.ok;
      }
      stdout(command ? commandHelp(command, program) : mainHelp(COMMANDS, program));
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw unknownCommand(name);
    const parsed = parseCommandArgs(name, rest, command.options, command.maxPositionals);
    if (parsed.values.help) {
      stdout(commandHelp(command, program));
      return EXIT.ok;
    }
    if (options.queue && parsed.values.store !== undefined) {
      throw new UsageError(`--store cannot be used here: ${program} works on its own queue`);
    }
    const url = options.queue ? undefined : String(parsed.values.store ?? defaultStoreUrl());
    queue = options.queue ??
      await openQueue(url!, { mayCreate: command.createsStore === true, open: options.openStore });
    if (!options.signal) shutdown = signalOnShutdown();
    const context: CliContext = {
      queue,
      isLocal: options.queue !== undefined,
      store: url === undefined ? undefined : storeLabel(url),
      out: stdout,
      note: (text) => stderr(paint("gray", text)),
      warn: (message) => report("warning", message),
      isTTY,
      paint,
      json: parsed.values.json === true,
      signal: options.signal ?? shutdown!.signal,
      program,
      loadHttp: options.loadHttp,
      confirm: options.confirm === false
        ? undefined
        : options.confirm ?? (isatty(0) ? askOnTerminal : undefined),
    };
    return (await command.run(context, parsed)) ?? EXIT.ok;
  } catch (error) {
    // Usage messages point at `kinetik … --help`; under cli() that is the script.
    const message = oneLine(error).replace(/\bkinetik (?=[a-z-]+)/g, `${program} `);
    const code = error instanceof UsageError ? EXIT.usage : EXIT.failure;
    report("error", message, code);
    return code;
  } finally {
    shutdown?.dispose();
    if (queue && !options.queue) {
      await queue.close().catch((error) => report("error", oneLine(error)));
    }
  }
}

function unknownCommand(name: string): UsageError {
  const names = COMMANDS.map((c) => c.name);
  return new UsageError(
    `unknown command ${JSON.stringify(name)}${suggestion(name, names)}; see kinetik --help`,
  );
}

/** The first line of an error's message. */
function oneLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].trim() || String(error);
}
