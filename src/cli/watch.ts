/**
 * `kinetik watch`: live job events from every worker on the store (`queue.events()`), one
 * line each, with a progress bar per running job that redraws in place on a terminal. It
 * runs until SIGINT, or until `--count` events or `--timeout` for scripts and tests. @module
 */

import {
  QUEUE_EVENT_TYPES as EVENT_TYPES,
  type QueueEvent,
  type QueueEventType,
} from "../events.ts";
import { choiceList, durationOption, integerOption, listOption } from "./_args.ts";
import type { CliContext, Command } from "./_command.ts";
import { clockTime, elapsed, inlineJson, type Paint, progressBar } from "./_format.ts";

const EVENT_STYLES: Record<QueueEventType, Parameters<Paint>[0]> = {
  created: "gray",
  started: "cyan",
  log: "white",
  progress: "blue",
  completed: "green",
  failed: "red",
  timeout: "magenta",
  cancelled: "yellow",
  retry: "yellow",
  stalled: "yellow",
};

/** What follows the event type on its line. */
function detail(event: QueueEvent): string {
  const { job } = event;
  switch (event.type) {
    case "created":
      return job.status === "delayed" && job.runAt
        ? `runs in ${elapsed(job.runAt - event.time)}`
        : "";
    case "started":
      return `attempt ${job.attempts}`;
    case "log":
      return `${event.line?.message ?? ""} ${inlineJson(event.line?.data)}`.trimEnd();
    case "progress":
      return progressBar(event.progress?.current ?? 0, event.progress?.total ?? 0);
    case "completed":
      return job.started === undefined ? "" : `in ${elapsed(event.time - job.started)}`;
    case "failed":
    case "timeout":
    case "retry":
      return event.error?.message ?? job.error?.message ?? "";
    default:
      return "";
  }
}

/** One event as a line of text. */
export function formatEvent(event: QueueEvent, paint: Paint): string {
  const type = paint(EVENT_STYLES[event.type], event.type.padEnd(9));
  const job = `#${event.job.id} ${event.job.task}`;
  return `${paint("gray", clockTime(event.time))}  ${type}  ${job}  ${detail(event)}`.trimEnd();
}

/** Writes event lines, keeping one progress bar per running job below them on a terminal. */
class Display {
  #context: CliContext;
  #bars = new Map<string, string>();
  #drawn = 0;

  constructor(context: CliContext) {
    this.#context = context;
  }

  /**
   * Prints `event`, or with `isShown` false only updates the bars: an event the user did not
   * ask for may still end a job whose bar is on screen.
   */
  show(event: QueueEvent, isShown = true): void {
    const { out, paint, isTTY, json } = this.#context;
    if (json || !isTTY) {
      if (isShown) out((json ? JSON.stringify(event) : formatEvent(event, paint)) + "\n");
      return;
    }
    const id = event.job.id;
    const hadBar = this.#bars.has(id);
    if (event.type === "progress") {
      const { current = 0, total = 0 } = event.progress ?? {};
      this.#bars.set(id, `  #${id} ${event.job.task}  ${progressBar(current, total, 30)}`);
    } else if (event.type !== "log" && event.type !== "started") this.#bars.delete(id);
    if (!isShown && !(hadBar && !this.#bars.has(id))) return;
    // Erase the bars, print the line, draw the bars again.
    const erase = this.#drawn > 0 ? `\x1b[${this.#drawn}A\x1b[J` : "";
    const bars = [...this.#bars.values()];
    this.#drawn = bars.length;
    const below = bars.map((bar) => paint("blue", bar) + "\n").join("");
    const line = isShown && event.type !== "progress" ? formatEvent(event, paint) + "\n" : "";
    out(erase + line + below);
  }
}

/** The events after which a job has no progress bar: it ended, or went back to the queue. */
const BAR_ENDINGS: readonly QueueEventType[] = [
  "completed",
  "failed",
  "timeout",
  "cancelled",
  "retry",
  "stalled",
];

/** The `watch` command. */
export const watchCommand: Command = {
  name: "watch",
  summary: "Print live job events from every worker until Ctrl-C",
  usage: "",
  options: {
    tasks: { type: "string" },
    type: { type: "string" },
    count: { type: "string" },
    timeout: { type: "string" },
  },
  optionHelp: [
    ["--tasks NAME1,NAME2", "only events of these tasks"],
    ["--type T1,T2", `only these events (${EVENT_TYPES.join(", ")})`],
    ["--count N", "stop after N events"],
    ["--timeout D", "stop after D (30s, 5m)"],
    ["--json", "one JSON event per line"],
  ],
  examples: [
    ["watch", "everything, as it happens"],
    ['watch --tasks "resize image" --type progress,completed', "follow the resizer"],
    ["watch --json --count 10 --timeout 1m", "for scripts: ten events at most, a minute at most"],
  ],
  maxPositionals: 0,
  async run(context, { values }) {
    const type = choiceList("type", values.type, EVENT_TYPES);
    const task = listOption(values.tasks);
    const count = integerOption("count", values.count, 1) ?? Infinity;
    const timeout = durationOption("timeout", values.timeout);
    const stop = new AbortController();
    const signals = [context.signal, stop.signal];
    const timer = timeout === undefined ? undefined : setTimeout(() => stop.abort(), timeout);
    // `--type progress,completed` still needs a job's other endings, to remove its bar.
    const wanted = type && type.includes("progress")
      ? [...new Set([...type, ...BAR_ENDINGS])]
      : type;
    const stream = context.queue.events({ type: wanted, task });
    const reader = stream.getReader();
    const cancel = () => reader.cancel().catch(() => {});
    for (const signal of signals) signal.addEventListener("abort", cancel, { once: true });
    const display = new Display(context);
    const until = timeout === undefined ? "Ctrl-C to stop" : `for ${elapsed(timeout)}`;
    let seen = 0;
    try {
      // A store call after subscribing, so the note below is true when printed: a store
      // with pub/sub (Redis) answers it only once its SUBSCRIBE is in place, and a script
      // that waits for the note cannot miss an event published after it.
      const running = await context.queue.count({ status: "processing" });
      const jobs = `${running} job${running === 1 ? "" : "s"} running`;
      // On stderr, so that `--json` output stays one event per line; scripts may wait for it.
      context.note(`Watching ${context.store ?? context.queue.store.name}, ${jobs} (${until})\n`);
      while (seen < count && !signals.some((s) => s.aborted)) {
        const { done, value } = await reader.read();
        if (done) break;
        const isShown = type === undefined || type.includes(value.type);
        display.show(value, isShown);
        if (isShown) seen++;
      }
    } finally {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener("abort", cancel);
      await cancel();
    }
  },
};
