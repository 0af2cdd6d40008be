/**
 * One run of one job: the action called with its context, raced against the task's timeout
 * and against aborts (cancel, lost lease, shutdown). Once the race is decided the run is
 * over, and anything the action does afterwards (done, log, progress) is ignored. @module
 */

import type { Clock, TimerHandle } from "./clock.ts";
import type { JobProgress, LogLine } from "./job.ts";
import { JobContext } from "./job_context.ts";
import { assertJsonData } from "./json_data.ts";
import type { LeasedJob } from "./store.ts";
import type { Task } from "./task.ts";

/** Why a run was cut short from outside. */
export type AbortCause = "cancel" | "lease" | "shutdown";

/** How a run ended. */
export type RunResult =
  | { kind: "completed" }
  | { kind: "failed"; error: unknown }
  | { kind: "timeout" }
  | { kind: "aborted"; cause: AbortCause };

/** What a run tells the processor while it runs. */
export interface RunListener {
  onLog(run: JobRun, line: LogLine): void;
  onProgress(run: JobRun, progress: JobProgress): void;
}

const ABORT_MESSAGES: Record<AbortCause, string> = {
  cancel: "Job cancelled",
  lease: "Job lease lost",
  shutdown: "Worker stopped",
};

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/** A job being run by this process. */
export class JobRun {
  readonly job: LeasedJob;
  readonly task: Task;
  readonly context: JobContext;
  /** Lines buffered for the store; written in one batch when the run is settled. */
  readonly logs: LogLine[] = [];
  progress?: JobProgress;
  #controller = new AbortController();
  #cause?: AbortCause;
  #isOver = false;
  #clock: Clock;
  #listener: RunListener;

  constructor(job: LeasedJob, task: Task, clock: Clock, listener: RunListener) {
    this.job = job;
    this.task = task;
    this.#clock = clock;
    this.#listener = listener;
    this.context = new JobContext(job, this.#controller.signal, {
      log: (message, data) => this.#log(message, data),
      progress: (current, total) => this.#progress(current, total),
    });
  }

  /** Whether the outcome is decided. */
  get isOver(): boolean {
    return this.#isOver;
  }

  /** Adds one of Kinetik's own lines to the buffer. */
  note(message: string, data?: unknown): LogLine {
    const line: LogLine = data === undefined
      ? { time: this.#clock.now(), message }
      : { time: this.#clock.now(), message, data };
    this.logs.push(line);
    return line;
  }

  /** Ends the run from outside; the action's signal is aborted. */
  abort(cause: AbortCause): void {
    if (this.#isOver || this.#cause) return;
    this.#cause = cause;
    this.#controller.abort(new DOMException(ABORT_MESSAGES[cause], "AbortError"));
  }

  /** Runs the action once; resolves when the outcome is decided. */
  execute(): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      const signal = this.#controller.signal;
      let timer: TimerHandle | undefined;
      const finish = (result: RunResult) => {
        if (this.#isOver) return;
        this.#isOver = true;
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        resolve(result);
      };
      const onAbort = () => finish({ kind: "aborted", cause: this.#cause ?? "shutdown" });
      signal.addEventListener("abort", onAbort);
      const timeout = this.task.config.timeout;
      if (timeout !== undefined) {
        timer = this.#clock.setTimeout(() => {
          finish({ kind: "timeout" });
          this.#controller.abort(new DOMException(`Timed out after ${timeout} ms`, "TimeoutError"));
        }, timeout);
      }
      const completed = () => finish({ kind: "completed" });
      const failed = (error: unknown) => finish({ kind: "failed", error });
      try {
        const action = this.task.handler!;
        if (action.length >= 2) {
          const done = (error?: unknown) => error == null ? completed() : failed(error);
          const returned = action(this.context, done);
          if (isThenable(returned)) returned.then(undefined, failed);
        } else {
          const returned = (action as (job: JobContext) => unknown)(this.context);
          if (isThenable(returned)) returned.then(completed, failed);
          else completed();
        }
      } catch (error) {
        failed(error);
      }
    });
  }

  #log(message: string, data?: unknown): void {
    if (this.#isOver) return;
    if (data !== undefined) assertJsonData(data, "log line");
    const line = this.note(String(message), data);
    this.#listener.onLog(this, line);
  }

  #progress(current: number, total: number): void {
    if (this.#isOver) return;
    if (!Number.isFinite(current) || !Number.isFinite(total) || total <= 0) {
      throw new RangeError(
        `Cannot report progress as current and total must be finite and total > 0: current value is ${current}/${total}`,
      );
    }
    this.progress = { current, total };
    this.#listener.onProgress(this, this.progress);
  }
}
