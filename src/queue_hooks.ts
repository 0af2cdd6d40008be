/**
 * The two places a plugin may reach into a queue's work (`queue.hook()`), both generic and
 * both free when unused:
 *
 * - **`beforeSave(job)`** sees each job `create()` and `createMany()` are about to save, in
 *   the caller's synchronous context (so it can read what is "active" there: a trace, a
 *   tenant), and returns the job to save. Jobs a schedule fires are not the caller's and do
 *   not pass through it.
 * - **`aroundRun(job, run)`** wraps each run of an action in this process: it calls `run()`
 *   once (the action runs inside that call, so whatever context the wrapper set is active in
 *   the action), and `run()` resolves to how the run ended, as the processor decided it, before
 *   the store records it. Nothing waits for the wrapper itself: the outcome goes to the store
 *   when the run ends, whatever the wrapper does afterwards.
 *
 * A hook that throws is reported as the queue's `error` and changes nothing: the job is saved
 * as it was, and a run whose wrapper failed before calling `run()` still runs. Hooks run in
 * the order they were added; the first `aroundRun` is the outermost. @module
 */

import type { Job, JobError } from "./job.ts";
import type { NewJob, SettleOutcome } from "./store.ts";

/**
 * How a run ended: what the store is told (`completed`, `failed`, `timeout`, `retry`, or
 * `release` when the worker stopped and gave the job back), or that the outcome was not this
 * run's to write (`cancelled`, or `abandoned` when the lease was lost).
 */
export type RunOutcome = SettleOutcome | "cancelled" | "abandoned";

/** What `run()` of an {@linkcode QueueHooks.aroundRun} resolves to. */
export interface RunEnd {
  /** How the run ended. */
  outcome: RunOutcome;
  /** For `failed`, `timeout` and `retry`: the error as it is stored. */
  error?: JobError;
}

/** What a plugin adds with `queue.hook()`; both members are optional. */
export interface QueueHooks {
  /** Returns the job to save in place of `job` (which it must not change). */
  beforeSave?(job: NewJob): NewJob;
  /** Wraps one run; must call `run()` once. Its result is ignored. */
  aroundRun?(job: Job, run: () => Promise<RunEnd>): unknown;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** A queue's hooks, in the order they were added. */
export class HookChain {
  #saves: ((job: NewJob) => NewJob)[] = [];
  #runs: ((job: Job, run: () => Promise<RunEnd>) => unknown)[] = [];
  #reportError: (error: unknown) => void;

  constructor(reportError: (error: unknown) => void) {
    this.#reportError = reportError;
  }

  /**
   * Adds hooks.
   * @throws {TypeError} when `hooks` is not an object or a member is not a function
   */
  add(hooks: QueueHooks): void {
    if (typeof hooks !== "object" || hooks === null) {
      throw new TypeError(
        `Cannot add hooks as they must be an object: current value is ${show(hooks)}`,
      );
    }
    for (const name of ["beforeSave", "aroundRun"] as const) {
      if (hooks[name] !== undefined && typeof hooks[name] !== "function") {
        throw new TypeError(
          `Cannot add hooks as ${name} must be a function: current value is ${show(hooks[name])}`,
        );
      }
    }
    if (hooks.beforeSave) this.#saves.push(hooks.beforeSave.bind(hooks));
    if (hooks.aroundRun) this.#runs.push(hooks.aroundRun.bind(hooks));
  }

  /** Whether any `aroundRun` was added (else a run goes without a wrapper). */
  get wrapsRuns(): boolean {
    return this.#runs.length > 0;
  }

  /** The jobs after every `beforeSave`; a hook that throws or returns no object is skipped. */
  beforeSave(jobs: NewJob[]): NewJob[] {
    if (this.#saves.length === 0) return jobs;
    return jobs.map((job) => {
      for (const hook of this.#saves) {
        try {
          const changed = hook(job);
          if (typeof changed === "object" && changed !== null) job = changed;
          else {throw new TypeError(
              `Cannot save a job as beforeSave returned no job: current value is ${show(changed)}`,
            );}
        } catch (error) {
          this.#reportError(error);
        }
      }
      return job;
    });
  }

  /** Runs `body` inside every `aroundRun`; resolves to its end once every wrapper is done. */
  run(job: Job, body: () => Promise<RunEnd>): Promise<RunEnd> {
    const layer = (i: number): Promise<RunEnd> => {
      if (i === this.#runs.length) return body();
      let ran: Promise<RunEnd> | undefined;
      const next = () => ran ??= layer(i + 1);
      let wrapped: unknown;
      try {
        wrapped = this.#runs[i](job, next);
      } catch (error) {
        this.#reportError(error);
      }
      // A wrapper that did not call run() (or failed first) does not keep the job from running.
      return Promise.resolve(wrapped).then(
        () => ran ?? next(),
        (error) => {
          this.#reportError(error);
          return ran ?? next();
        },
      );
    };
    return layer(0);
  }
}
