/**
 * A task: the code half of Kinetik. `queue.define(name)` returns one, configured by chaining:
 * `.tag("messaging").desc("…").timeout("30s").retry("10s", 3).action(fn)`. @module
 */

import type { Duration } from "./duration.ts";
import { Emitter } from "./emitter.ts";
import type { QueueEvent } from "./events.ts";
import type { Job, LogLine, RetryPolicy } from "./job.ts";
import type { JobContext } from "./job_context.ts";
import { parseConcurrency, parseRate, type RateLimit } from "./task_limits.ts";

import { parseRetryPolicy, parseTimeout, type RetryOptions } from "./run_policy.ts";

export type { RetryPolicy } from "./job.ts";
export type { RetryOptions } from "./run_policy.ts";

/** A task's settings, as `task.config` shows them. */
export interface TaskConfig {
  /** The tag whose processors run the task; `"default"` until `tag()` is called. */
  tag: string;
  /** What `desc()` set, shown by `kinetik tasks`. */
  description?: string;
  /** Milliseconds; unset means no limit. */
  timeout?: number;
  /** How failed jobs are re-run; unset means they are not. */
  retry?: RetryPolicy;
  /** At most `max` starts in any window of `per` ms, across every worker; see `rate()`. */
  rate?: RateLimit;
  /** At most this many running jobs across every worker; see `concurrency()`. */
  concurrency?: number;
}

/**
 * The seed's completion callback: call with nothing for success, with an error to fail;
 * `done(null, value)` completes with `value` as the job's result.
 */
export type Done = (error?: unknown, result?: unknown) => void;

/**
 * What runs a job: `async (job) => {}`, or the seed's `(job, done) => {}`. One signature, so
 * both forms get typed parameters; which form it is, the function's declared arity tells.
 * What it returns (or passes to `done(null, value)`) is stored as the job's `result`.
 */
export type Action = (job: JobContext, done: Done) => unknown;

/**
 * Events a task emits for each of its jobs (the seed's names), each with its listeners'
 * arguments. They arrive from every process sharing the store when the store carries events.
 * Any other name is a type error.
 *
 * @example Waiting for a job to complete
 * ```ts
 * import { kinetik } from "@kinetik/kinetik";
 *
 * const queue = kinetik({ interval: 50 });
 * const task = queue.define("send email").action((job) => job.log("sent"));
 * const lines: string[] = [];
 * task.on("log", (_job, line) => lines.push(line.message));
 * const completed = new Promise((resolve) => task.once("complete", resolve));
 * await queue.create(task, { to: "ford@example.com" });
 * queue.process("default");
 * await completed;
 * if (lines.join() !== "sent") throw new Error(lines.join());
 * await queue.close();
 * ```
 */
export interface TaskEvents {
  /** A processor claimed the job and runs its action. */
  start: [job: Job];
  /** The action succeeded; the job is `completed`. */
  complete: [job: Job];
  /** The last attempt failed; the job is `failed`. Earlier failures emit `retry`. */
  fail: [error: Error, job: Job];
  /** The action ran longer than the task's timeout; the job is `timeout`. */
  timeout: [job: Job];
  /** The action called `job.log()` (Kinetik's own lines are stored, not emitted). */
  log: [job: Job, line: LogLine];
  /** The action called `job.progress(current, total)`. */
  progress: [job: Job, current: number, total: number];
  /** The job was cancelled (`queue.cancel()`). */
  cancelled: [job: Job];
  /** An attempt failed with retries left; the job is `delayed` until its next run. */
  retry: [job: Job];
}

/** What a task needs from the queue that defined it. */
export interface TaskOwner {
  /** Called whenever a tag, action or retry policy changes, so processors see it. */
  changed(): void;
  reportError(error: unknown): void;
  openEvents(task: string): ReadableStream<QueueEvent>;
  /** Called when a listener is added, so events of jobs run elsewhere start to arrive. */
  listening?(): void;
}

function showValue(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * A task definition. Create it with `queue.define(name)`.
 *
 * @example Defining a task
 * ```ts
 * import { kinetik } from "../mod.ts";
 * const queue = kinetik();
 * queue.define("send email").tag("messaging").timeout("30s").retry("10s", 3)
 *   .action(async (job) => { job.log("sent"); });
 * if (queue.tags[0] !== "messaging") throw new Error("tagged");
 * await queue.close();
 * ```
 */
export class Task extends Emitter<TaskEvents> {
  readonly #name: string;
  readonly #owner: TaskOwner;
  #config: TaskConfig = { tag: "default" };
  #action?: Action;

  /** Use `queue.define(name)` rather than this constructor. */
  constructor(name: string, owner: TaskOwner) {
    super((error) => owner.reportError(error));
    this.#name = name;
    this.#owner = owner;
  }

  /**
   * Adds a listener. The first one connects the queue to the store's events, so a producer
   * hears `complete` of jobs that workers elsewhere ran.
   */
  override on<E extends keyof TaskEvents>(
    event: E,
    listener: (...args: TaskEvents[E]) => unknown,
  ): this {
    this.#owner.listening?.();
    return super.on(event, listener);
  }

  /** The task's name, which jobs refer to. */
  get name(): string {
    return this.#name;
  }

  /** A copy of the task's settings. */
  get config(): Readonly<TaskConfig> {
    const config = { ...this.#config };
    if (config.retry) config.retry = { ...config.retry };
    if (config.rate) config.rate = { ...config.rate };
    return Object.freeze(config);
  }

  /** The live settings, for the processor's hot path; read `config` for a copy. */
  get settings(): Readonly<TaskConfig> {
    return this.#config;
  }

  /** The action, once set. */
  get handler(): Action | undefined {
    return this.#action;
  }

  /**
   * Puts the task in a tag (default `"default"`); processors drain tags in priority order.
   * @throws {TypeError} when the tag is not a non-empty string
   */
  tag(tag: string): this {
    if (typeof tag !== "string" || tag.trim() === "") {
      throw new TypeError(
        `Cannot tag task as the tag must be a non-empty string: current value is ${showValue(tag)}`,
      );
    }
    this.#config.tag = tag;
    this.#owner.changed();
    return this;
  }

  /** Describes the task (shown by `kinetik tasks`). */
  desc(description: string): this {
    if (typeof description !== "string") {
      throw new TypeError(
        `Cannot describe task as the description must be a string: current value is ${
          showValue(description)
        }`,
      );
    }
    this.#config.description = description;
    return this;
  }

  /**
   * Limits how long an action may run: after it, the job's status is `timeout`, its signal is
   * aborted and whatever the action does afterwards is ignored.
   * @throws {TypeError | RangeError} for a duration that cannot be read or is not positive
   */
  timeout(duration: Duration): this {
    this.#config.timeout = parseTimeout(duration);
    return this;
  }

  /**
   * Re-runs failed jobs after `delay`, at most `max` times (no limit when unset).
   * @throws {TypeError | RangeError} for an unreadable delay, a bad `max` or `backoff`
   */
  retry(delay: Duration | RetryOptions, max?: number): this {
    this.#config.retry = parseRetryPolicy(delay, max, "retry");
    // Claims record maxAttempts from the retry policy: cached claim plans must be rebuilt.
    this.#owner.changed();
    return this;
  }

  /**
   * Starts at most `max` jobs of this task in any window of length `per` (a sliding window,
   * not calendar buckets), counting every worker on the store. Jobs held back wait, in order;
   * a processor takes other tasks' ready jobs meanwhile and sleeps until the window reopens.
   * @throws {RangeError | TypeError} for a `max` below 1 or an unreadable or zero `per`
   */
  rate(max: number, per: Duration): this {
    this.#config.rate = parseRate(max, per);
    this.#owner.changed();
    return this;
  }

  /**
   * Runs at most `n` jobs of this task at once, counting every worker on the store.
   * @throws {RangeError} for an `n` that is not an integer >= 1
   */
  concurrency(n: number): this {
    this.#config.concurrency = parseConcurrency(n);
    this.#owner.changed();
    return this;
  }

  /**
   * Sets the function that runs each job. A function declared with two parameters gets the
   * seed's `(job, done)` form.
   * @throws {TypeError} when `fn` is not a function
   */
  action(fn: Action): this {
    if (typeof fn !== "function") {
      throw new TypeError(
        `Cannot set action as it must be a function: current value is ${showValue(fn)}`,
      );
    }
    this.#action = fn;
    this.#owner.changed();
    return this;
  }

  /** A stream of this task's job events, from every process when the store carries them. */
  events(): ReadableStream<QueueEvent> {
    return this.#owner.openEvents(this.#name);
  }
}
