/**
 * `kinetik logs ID [--follow]`: a job's log lines, oldest first (`queue.logs()`). With
 * `--follow` it keeps printing: the lines the action writes as they are emitted (events from
 * the worker, on a store that carries them), Kinetik's own lines as the store gets them, until
 * the job is final (`queue.wait()`, which also notices a job removed meanwhile). @module
 */

import type { QueueEvent } from "../events.ts";
import { isFinalStatus, type LogLine } from "../job.ts";
import type { CliContext, Command } from "./_command.ts";
import { jobIdArgument, printJson } from "./_command.ts";
import { logLine } from "./_format.ts";

const keyOf = (line: LogLine) => JSON.stringify([line.time, line.message, line.data]);

/** Prints lines once each: live ones as they come, stored ones that were not seen live. */
class LogPrinter {
  #context: CliContext;
  #stored = 0;
  #live = new Map<string, number>();

  constructor(context: CliContext) {
    this.#context = context;
  }

  /** A line emitted by the running action. */
  live(line: LogLine): void {
    const key = keyOf(line);
    this.#live.set(key, (this.#live.get(key) ?? 0) + 1);
    this.#print(line);
  }

  /** The stored log as it is now: prints what came after the last read and was not live. */
  stored(lines: readonly LogLine[]): void {
    for (const line of lines.slice(this.#stored)) {
      const key = keyOf(line);
      const seen = this.#live.get(key) ?? 0;
      if (seen > 0) this.#live.set(key, seen - 1);
      else this.#print(line);
    }
    this.#stored = Math.max(this.#stored, lines.length);
  }

  #print(line: LogLine): void {
    const { out, json, paint } = this.#context;
    out(json ? JSON.stringify(line) + "\n" : logLine(line, paint) + "\n");
  }
}

async function follow(context: CliContext, id: string): Promise<void> {
  const { queue } = context;
  const printer = new LogPrinter(context);
  // Listen before reading, so no line falls between the read and the first event.
  const reader = queue.events({ id }).getReader();
  const end = queue.wait(id, { signal: context.signal }).then(
    () => undefined,
    (error) => error instanceof DOMException && error.name === "AbortError" ? undefined : error,
  );
  const ended = end.then(() => ({ done: true, value: undefined }) as const);
  try {
    printer.stored(await queue.logs(id));
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), ended]);
      if (done) break;
      const event = value as QueueEvent;
      if (event.type === "log" && event.line) printer.live(event.line);
      else printer.stored(await queue.logs(id));
    }
    const error = await end;
    if (error) throw error;
    printer.stored(await queue.logs(id));
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/** The `logs` command. */
export const logsCommand: Command = {
  name: "logs",
  summary: "Print a job's log; with --follow, new lines until the job is final",
  usage: "ID",
  options: { follow: { type: "boolean", short: "f" } },
  optionHelp: [
    ["-f, --follow", "keep printing new lines until the job is final (or Ctrl-C)"],
    ["--json", "one JSON line per log line with --follow, else a JSON array"],
  ],
  examples: [
    ["logs 42", "what job 42 logged"],
    ["logs 42 --follow", "and what it logs next, until it ends"],
  ],
  maxPositionals: 1,
  async run(context, args) {
    const id = jobIdArgument("logs", args);
    const { queue } = context;
    const job = await queue.get(id);
    if (!job) throw new Error(`no job with id ${id}`);
    if (args.values.follow !== true || isFinalStatus(job.status)) {
      const lines = await queue.logs(id);
      if (context.json && args.values.follow !== true) return printJson(context, lines);
      new LogPrinter(context).stored(lines);
      return;
    }
    await follow(context, id);
  },
};
