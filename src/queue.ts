/**
 * The queue: where tasks are defined, jobs created and processors started. It owns the store
 * connection and the event bus; the reading half of its API lives in `queue_reads.ts`, the
 * verbs that change one job's life by hand in `queue_lifecycle.ts`, waiting in `wait.ts`, the
 * retention sweep in `retention.ts`, and schedules and pauses in `queue_control.ts`. @module
 */

import type { Clock } from "./clock.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { Emitter } from "./emitter.ts";
import type { EventFilter, QueueEvent } from "./events.ts";
import type { Job, LogLine } from "./job.ts";
import type { JobRun } from "./job_run.ts";
import {
  assertTaskName,
  buildJob,
  buildJobs,
  type CreateOptions,
  type JobSpec,
} from "./job_spec.ts";
import { Processor } from "./processor.ts";
import type { PauseInput } from "./queue_control.ts";
import { assembleQueue, type QueueParts } from "./queue_parts.ts";
import type { QueueEvents } from "./queue_events.ts";
import { cancelJob, promoteJob, removeJob, retryJob, retryJobs } from "./queue_lifecycle.ts";
import {
  type ProcessOptions,
  type QueueOptions,
  type QueueSettings,
  resolveProcessOptions,
  resolveQueueArgs,
  resolveQueueOptions,
  resolveTags,
} from "./queue_options.ts";
import {
  cleanJobs,
  type CleanOptions,
  fetchJobs,
  type FetchOptions,
  type QueueStats,
  queueStats,
} from "./queue_reads.ts";
import type { QueueHooks } from "./queue_hooks.ts";
import { type MetricsOptions, type QueueMetrics, readMetrics } from "./queue_metrics.ts";
import { validateQuery } from "./query.ts";
import { applyPlugin, configureFor, type Plugin } from "./queue_plugins.ts";
import { hostname, pid } from "./runtime.ts";
import type { Schedule, ScheduleSpec } from "./schedules/schedule_spec.ts";
import type { JobQuery, NewJob, PauseTarget, Store, WorkerRecord } from "./store.ts";
import type { Task } from "./task.ts";
import { type WaitOptions, watchJob } from "./wait.ts";

export type { ProcessOptions, QueueOptions } from "./queue_options.ts";
export type { WaitOptions } from "./wait.ts";
export type { Plugin } from "./queue_plugins.ts";
export type { QueueEvents } from "./queue_events.ts";

/**
 * A Kinetik queue.
 *
 * @example Define, create, process
 * ```ts
 * import { Queue } from "../mod.ts";
 * const queue = new Queue({ interval: 50 });
 * queue.define("greet").action((job) => job.log(`hello ${(job.data as { name: string }).name}`));
 * const job = await queue.create("greet", { name: "Ford" });
 * queue.process("default");
 * const done = await queue.watch(job.id).pipeTo(new WritableStream());
 * if ((await queue.get(job.id))?.status !== "completed") throw new Error("not done");
 * await queue.close();
 * ```
 */
export class Queue extends Emitter<QueueEvents> {
  /** The store in use. */
  readonly store: Store;
  readonly #settings: QueueSettings;
  readonly #clock: Clock;
  readonly #processors = new Set<Processor>();
  readonly #runs = new Map<string, JobRun>();
  readonly #parts: QueueParts;
  #isClosed = false;

  /** A queue on `store` (a `MemoryStore` when none is given). */
  constructor(store?: Store | QueueOptions, options: QueueOptions = {}) {
    const { store: resolved, options: opts } = resolveQueueArgs(store, options);
    super((error) => this.reportError(error));
    this.store = resolved;
    this.#settings = resolveQueueOptions(opts);
    this.#clock = this.#settings.clock;
    this.#parts = assembleQueue({
      emitter: this,
      store: resolved,
      settings: this.#settings,
      runs: this.#runs,
      wake: (task) => this.#wake(task),
      reportError: (error) => this.reportError(error),
    });
  }

  /** The queue's clock. */
  get clock(): Clock {
    return this.#clock;
  }

  /** Distinct tags of the defined tasks, in definition order. */
  get tags(): string[] {
    return this.#parts.registry.tags;
  }

  /** The defined tasks by name. */
  get tasks(): ReadonlyMap<string, Task> {
    return this.#parts.registry.tasks;
  }

  /** Runs `fn` when no env is given or `NODE_ENV` (default "development") equals `env`. */
  configure<T>(env: string | (() => T), fn?: () => T): T | false {
    return configureFor(env, fn);
  }

  /** Attaches a plugin: a function of the queue, or an object with `handle(queue)`. */
  use(plugin: Plugin): this {
    applyPlugin(this, plugin);
    return this;
  }

  /**
   * Adds plugin hooks ({@linkcode QueueHooks}: `beforeSave` of created jobs, `aroundRun` of
   * runs in this process), as `otel()` does. A hook that throws is reported as `error`.
   * @throws {TypeError} when a hook is not a function
   */
  hook(hooks: QueueHooks): this {
    this.#parts.hooks.add(hooks);
    return this;
  }

  /**
   * Defines a task (tag `"default"` until `.tag()`); emits `task:define`.
   * @throws {TypeError} for an empty name or one containing ":"
   */
  define(name: string): Task {
    assertTaskName(name, "define task");
    const task = this.#parts.registry.define(name);
    this.emit("task:define", task);
    return task;
  }

  /**
   * Saves a job; resolves to its record. `options` is a delay (`"1d"`, ms) or
   * `{ delay, priority, key, retry, timeout }` (`retry` and `timeout` win over the task's).
   * Emits `job:define` after the save, `drain` when no create is pending. Rejects with a
   * `TypeError`/`RangeError` for bad input, saving nothing.
   */
  async create(
    task: string | Task,
    data?: unknown,
    options?: Duration | CreateOptions,
  ): Promise<Job> {
    const tx = typeof options === "object" && options !== null ? options.tx : undefined;
    const [job] = await this.#save(() => [buildJob(task, data, options, this.#clock.now())], tx);
    return job;
  }

  /**
   * Saves many jobs in as few store round trips as the store allows; `options.tx` saves them
   * inside that transaction (see `CreateOptions.tx`).
   */
  async createMany(
    specs: readonly JobSpec[],
    options: Pick<CreateOptions, "tx"> = {},
  ): Promise<Job[]> {
    return await this.#save(() => buildJobs(specs, this.#clock.now()), options?.tx);
  }

  /**
   * Not `async`: its callers are, so what it throws still rejects, and a single create goes
   * through one promise layer fewer.
   */
  #save(build: () => NewJob[], tx?: unknown): Promise<Job[]> {
    this.#assertOpen("create job");
    return this.#parts.writer.save(this.#parts.hooks.beforeSave(build()), tx);
  }

  /**
   * Starts a processor over `tags`, in priority order. The second argument is an interval or
   * `{ interval, concurrency }`.
   * @throws {TypeError | RangeError} for bad tags, interval or concurrency
   */
  process(tags: string | readonly string[], options?: Duration | ProcessOptions): Processor {
    this.#assertOpen("process");
    const { interval, concurrency } = resolveProcessOptions(options, this.#settings);
    const processor = new Processor(resolveTags(tags), this.#parts.host, {
      interval,
      concurrency,
      lease: this.#settings.lease,
      grace: this.#settings.grace,
      worker: `${hostname()}:${pid()}:${crypto.randomUUID().slice(0, 8)}`,
    });
    this.#processors.add(processor);
    this.#parts.bus.connect();
    this.#parts.control.processorStarted(interval);
    return processor;
  }

  /**
   * Cancels a queued, delayed or processing job; resolves `false` when it had already finished
   * (or does not exist). A running action's signal is aborted wherever it runs.
   */
  cancel(job: Job | string): Promise<boolean> {
    return cancelJob(this.#parts.host, job);
  }

  /**
   * Deletes a job and its logs in any status; a running one is cancelled first (its signal
   * aborts in whichever process runs it). Resolves `false` when there was no such job.
   * @throws {Error} when the store cannot remove single jobs
   */
  remove(job: Job | string): Promise<boolean> {
    return removeJob(this.#parts.host, job);
  }

  /**
   * Makes a delayed job ready now; resolves `false` when it was not delayed.
   * @throws {Error} when the store cannot promote jobs
   */
  promote(job: Job | string): Promise<boolean> {
    return promoteJob(this.#parts.host, job);
  }

  /**
   * Puts a failed, timed-out or cancelled job back in the queue; resolves to its record, or
   * `undefined` when it is unknown or not in one of those statuses.
   * @throws {Error} when the store cannot requeue jobs
   */
  retry(id: string): Promise<Job | undefined>;
  /**
   * Requeues every failed, timed-out or cancelled job matching a Mongo-style query; resolves
   * to how many.
   * @throws {TypeError} for an invalid query
   * @throws {Error} when the store cannot requeue jobs
   */
  retry(query: Record<string, unknown>): Promise<number>;
  async retry(target: string | Record<string, unknown>): Promise<Job | undefined | number> {
    if (typeof target === "object" && target !== null) {
      return await retryJobs(this.#parts.host, validateQuery(target) as JobQuery);
    }
    return await retryJob(this.#parts.host, String(target));
  }

  /**
   * Resolves with the job's record once it is final, from any process on the store (see
   * `wait.ts`). Rejects with a `DOMException` `TimeoutError` after `timeout`, `AbortError` (or
   * the signal's reason) on `signal`, a `TypeError` when the job does not exist or is removed.
   */
  async wait(id: string, options?: WaitOptions): Promise<Job> {
    this.#assertOpen("wait for job");
    return await this.#parts.waiters.wait(String(id), options);
  }

  /** The workers alive on the store (from their heartbeats), with their task definitions. */
  async workers(): Promise<WorkerRecord[]> {
    return (await this.store.workers?.(this.#clock.now())) ?? [];
  }

  /** Stores a schedule ({@linkcode ScheduleSpec}); the same id and spec again keeps it. */
  schedule(id: string, spec: ScheduleSpec): Promise<Schedule> {
    return this.#parts.control.schedule(id, spec);
  }

  /** Deletes a schedule; resolves `false` when there was none. */
  unschedule(id: string): Promise<boolean> {
    return this.#parts.control.unschedule(id);
  }

  /** The stored schedules, by id, with their next fire time. */
  schedules(): Promise<Schedule[]> {
    return this.#parts.control.schedules();
  }

  /** Pauses a tag, or `{ tags, tasks }`, in the store: no processor claims their jobs. */
  pause(target: PauseInput): Promise<void> {
    return this.#parts.control.pause(target);
  }

  /** Resumes a tag, or `{ tags, tasks }`; waiting jobs start at once. */
  resume(target: PauseInput): Promise<void> {
    return this.#parts.control.resume(target);
  }

  /** The paused tags and tasks. */
  paused(): Promise<PauseTarget> {
    return this.#parts.control.paused();
  }

  /** A stream of job events, from every process when the store carries events. */
  events(filter?: EventFilter): ReadableStream<QueueEvent> {
    return this.#parts.bus.open(filter);
  }

  /**
   * How many `events()` and `watch()` streams are open: a stream counts until it closes or its
   * reader cancels it, so an adapter (the HTTP API's event stream) can be checked for leaks.
   */
  get openStreams(): number {
    return this.#parts.bus.streams;
  }

  /** A stream of one job's events that closes after its final status. */
  watch(id: string): ReadableStream<QueueEvent> {
    return watchJob(this.#parts.bus, (id) => this.store.get(id), String(id));
  }

  /** Stops every processor gracefully, waits for pending creates, closes the store. */
  async close(options: { grace?: Duration } = {}): Promise<void> {
    if (this.#isClosed) return;
    this.#isClosed = true;
    const grace = options.grace === undefined ? undefined : parseDuration(options.grace, "grace");
    await Promise.all([...this.#processors].map((p) => p.stop({ grace })));
    await this.#parts.metrics.close();
    await this.#parts.control.close();
    await this.#parts.writer.drained;
    this.#parts.waiters.close();
    await this.#parts.bus.close();
    await this.store.close();
  }

  /** `await using queue = kinetik()` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Emits `error`, or prints it when nobody listens: a store error never crashes a worker. */
  reportError(error: unknown): void {
    if (!this.emit("error", error)) console.error("kinetik:", error);
  }

  /**
   * Stored jobs matching a Mongo-style query, paged from the store.
   * @throws {TypeError} at the call for an invalid query (unknown operator, `$where`, functions)
   */
  fetch(query?: Record<string, unknown>, options?: FetchOptions): AsyncIterable<Job> {
    return fetchJobs(this.store, validateQuery(query), options);
  }

  /** The job's record, or `undefined`. */
  get(id: string): Promise<Job | undefined> {
    return this.store.get(String(id));
  }

  /** How many jobs match a query. */
  async count(query?: Record<string, unknown>): Promise<number> {
    return await this.store.count(validateQuery(query));
  }

  /** Counts by status, task and tag. */
  stats(): Promise<QueueStats> {
    return queueStats(this.store, this.#parts.registry.tagOf(), this.#clock.now());
  }

  /**
   * Runs completed and failed per task and bucket (default: each minute of the last hour),
   * with run-time p50/p95, from every process on the store (kept 24 h), this one's included.
   * @throws {TypeError | RangeError} for a bad `since` or `bucket`; {Error} without store support
   */
  async metrics(options?: MetricsOptions): Promise<QueueMetrics> {
    await this.#parts.metrics.flush();
    return await readMetrics(this.store, options, this.#clock.now());
  }

  /** The job's stored log lines, oldest first. */
  logs(id: string): Promise<LogLine[]> {
    return this.store.logs(String(id));
  }

  /**
   * Removes jobs with status `completed` (or `options.status`) of the given tags, with their
   * logs; no tags means every tag; `options.before` keeps those that finished since (`"7d"`,
   * or epoch ms). Resolves to the number removed.
   */
  async clean(tags?: string | string[] | CleanOptions): Promise<number> {
    return await cleanJobs(this.store, tags, this.#parts.registry.tagOf(), this.#clock.now());
  }

  #assertOpen(action: string): void {
    if (this.#isClosed) throw new Error(`Cannot ${action} as the queue is closed`);
  }

  #wake(task?: string): void {
    for (const processor of this.#processors) {
      if (task === undefined || processor.handles(task)) processor.wake();
    }
  }
}
