/**
 * One run of one job: the action called with its context, raced against its timeout (the
 * job's own, else the task's) and against aborts (cancel, lost lease, shutdown). Once the race
 * is decided the run is over, and anything the action does afterwards (done, log, progress) is
 * ignored. @module
 */

import type { Clock, TimerHandle } from "./clock.ts";
import type { JobProgress, LogLine } from "./job.ts";
import { JobContext } from "./job_context.ts";
import { assertJsonData } from "./json_data.ts";
import type { Lease, LeasedJob } from "./store.ts";
import type { Task, TaskConfig } from "./task.ts";

/** Why a run was cut short from outside. */
export type AbortCause = "cancel" | "lease" | "shutdown";

/** How a run ended. */
export type RunResult =
  /** `value`: what the action returned (or passed to `done(null, value)`), if anything. */
  | { kind: "completed"; value?: unknown }
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

const COMPLETED: RunResult = { kind: "completed" };

function completedWith(value: unknown): RunResult {
  return value === undefined ? COMPLETED : { kind: "completed", value };
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}

/**
 * A job being run by this process. The `AbortController` behind `job.signal` is only made
 * when the action reads the signal (or on abort/timeout): most jobs never look, and at
 * 100,000 jobs/s the controller and its listener are a measurable share of the work.
 */
export class JobRun {
  readonly job: LeasedJob;
  readonly task: Task;
  readonly context: JobContext;
  /** The task's settings with the job's own `retry` and `timeout` over them. */
  readonly settings: Readonly<TaskConfig>;
  /**
   * Lines not yet in the store. Each lease renewal writes them (and drops them from here);
   * the settle writes the rest, so a crashed attempt keeps what it logged up to its last
   * renewal.
   */
  readonly logs: LogLine[] = [];
  progress?: JobProgress;
  /** A renewal in flight: how many of `logs` it carries, and what waits for its answer. */
  #flush?: { lines: number; progress?: JobProgress; done: Promise<void>; end: () => void };
  /** The progress the store has. */
  #storedProgress?: JobProgress;
  #controller?: AbortController;
  /** Why the signal is (to be) aborted, once it is. */
  #abortReason?: DOMException;
  #cause?: AbortCause;
  #isOver = false;
  #finish?: (result: RunResult) => void;
  #clock: Clock;
  #listener: RunListener;

  constructor(job: LeasedJob, task: Task, clock: Clock, listener: RunListener) {
    this.job = job;
    this.task = task;
    this.#clock = clock;
    this.#listener = listener;
    this.context = new JobContext(job, this);
    this.settings = job.retry === undefined && job.timeout === undefined ? task.settings : {
      ...task.settings,
      retry: job.retry ?? task.settings.retry,
      timeout: job.timeout ?? task.settings.timeout,
    };
  }

  /** Whether the outcome is decided. */
  get isOver(): boolean {
    return this.#isOver;
  }

  /** The action's signal, made on first use. */
  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#abortReason) this.#controller.abort(this.#abortReason);
    }
    return this.#controller.signal;
  }

  /**
   * The lease to renew, carrying the lines and progress the store lacks; marks them in flight
   * until {@linkcode JobRun.endFlush}.
   */
  startFlush(): Lease {
    const lease: Lease = { id: this.job.id, token: this.job.token };
    if (this.logs.length > 0) lease.logs = this.logs.slice();
    const progress = this.progress !== this.#storedProgress ? this.progress : undefined;
    if (progress) lease.progress = progress;
    let end!: () => void;
    const done = new Promise<void>((resolve) => end = resolve);
    this.#flush = { lines: this.logs.length, progress, done, end };
    return lease;
  }

  /** The renewal of {@linkcode JobRun.startFlush} ended; `isKept`: its lines were written. */
  endFlush(isKept: boolean): void {
    const flush = this.#flush;
    if (!flush) return;
    this.#flush = undefined;
    if (isKept) {
      this.logs.splice(0, flush.lines);
      if (flush.progress) this.#storedProgress = flush.progress;
    }
    flush.end();
  }

  /**
   * Resolves once a renewal in flight has ended, so a settle sent afterwards knows which lines
   * it still has to write (a store may run two calls at once); `undefined` when none is.
   */
  get flushing(): Promise<void> | undefined {
    return this.#flush?.done;
  }

  /** Adds one of Kinetik's own lines to the buffer. */
  note(message: string, data?: unknown): LogLine {
    const line: LogLine = data === undefined
      ? { time: this.#clock.now(), message }
      : { time: this.#clock.now(), message, data };
    this.logs.push(line);
    return line;
  }

  /**
   * Ends the run from outside; the action's signal is aborted. The outcome is decided first,
   * as on timeout, so an abort listener that calls `done(err)` or `job.log()` is ignored; an
   * abort before `execute()` makes it resolve at once without running the action.
   */
  abort(cause: AbortCause): void {
    if (this.#isOver || this.#cause) return;
    this.#cause = cause;
    this.#finish?.({ kind: "aborted", cause });
    this.#abortSignal(new DOMException(ABORT_MESSAGES[cause], "AbortError"));
  }

  /** Runs the action once; resolves when the outcome is decided. */
  execute(): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      let timer: TimerHandle | undefined;
      const finish = this.#finish = (result: RunResult) => {
        if (this.#isOver) return;
        this.#isOver = true;
        if (timer !== undefined) this.#clock.clearTimeout(timer);
        resolve(result);
      };
      if (this.#cause) return finish({ kind: "aborted", cause: this.#cause });
      const timeout = this.settings.timeout;
      if (timeout !== undefined) {
        timer = this.#clock.setTimeout(() => {
          finish({ kind: "timeout" });
          this.#abortSignal(new DOMException(`Timed out after ${timeout} ms`, "TimeoutError"));
        }, timeout);
      }
      // The outcome callbacks are made only on the paths that need them: most actions
      // return at once, and closures per job are a measurable share of a no-op run.
      try {
        const action = this.task.handler!;
        if (action.length >= 2) {
          const failed = (error: unknown) => finish({ kind: "failed", error });
          const done = (error?: unknown, value?: unknown) =>
            error == null ? finish(completedWith(value)) : failed(error);
          const returned = action(this.context, done);
          if (isThenable(returned)) returned.then(undefined, failed);
        } else {
          const returned = (action as (job: JobContext) => unknown)(this.context);
          if (!isThenable(returned)) finish(completedWith(returned));
          else {
            returned.then(
              (value) => finish(completedWith(value)),
              (error) => finish({ kind: "failed", error }),
            );
          }
        }
      } catch (error) {
        finish({ kind: "failed", error });
      }
    });
  }

  #abortSignal(reason: DOMException): void {
    this.#abortReason ??= reason;
    this.#controller?.abort(reason);
  }

  /** `job.log()`: ignored once the run is over. */
  log(message: string, data?: unknown): void {
    this.#log(message, data);
  }

  /** `job.progress()`: ignored once the run is over. */
  report(current: number, total: number): void {
    this.#progress(current, total);
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
