/**
 * The memory store: Kinetik's default store and the reference implementation of the store
 * contract, for one process. Nothing survives a restart.
 *
 * @example Using the memory store
 * ```ts
 * import { MemoryStore } from "@kinetik/kinetik/stores/memory";
 * const store = new MemoryStore();
 * const log = { time: 0, message: "Created" };
 * const [job] = await store.add([{ task: "email", data: { to: "ada" }, created: 0, priority: 0, log }]);
 * const { jobs } = await store.claim({
 *   groups: [["email"]], limit: 1, worker: "w-1", leaseMs: 30_000, now: 0,
 * });
 * if (jobs[0].id !== job.id) throw new Error("expected the job to be claimed");
 * await store.close();
 * ```
 *
 * @module
 */

import type { Job, LogLine } from "../src/job.ts";
import { inTimeOrder } from "../src/log_order.ts";
import { compareJobs } from "../src/query.ts";
import type {
  ClaimRequest,
  ClaimResult,
  FindOptions,
  JobQuery,
  JobStats,
  Lease,
  MetricsSample,
  NewJob,
  PauseTarget,
  RemoveFilter,
  ScheduleFire,
  ScheduleRecord,
  Settlement,
  SettleResult,
  Store,
  StoreMessage,
  WorkerRecord,
} from "../src/store.ts";
import { STALLED_ERROR, STORE_MESSAGES, StoreError } from "../src/store.ts";
import { Channel } from "./_channel.ts";
import { copyJob, copyLine, copyValue } from "./_copy.ts";
import { firstInOrder } from "./_heap.ts";
import { ClaimControl } from "./_memory_control.ts";
import { JobTable } from "./_memory_jobs.ts";
import { MetricsTable } from "./_memory_metrics.ts";
import { ScheduleTable } from "./_memory_schedules.ts";

/** Options of a {@linkcode MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * How many finished (completed, failed, cancelled, timed-out) jobs to keep; beyond it the
   * oldest finished job is removed with its logs, as `remove` would. Set it for long-running
   * processes, which otherwise keep every job they ever ran.
   * @default {Infinity}
   */
  maxFinished?: number;
}

/**
 * The default, single-process {@linkcode Store}: fast, exact, and gone on restart.
 *
 * Every verb runs synchronously inside one call, so each is atomic without locks; the
 * promise is only there to honour the contract. Claims are O(log n) per job (see
 * `_memory_jobs.ts`); `find` and non-trivial `count` queries scan every job.
 */
export class MemoryStore implements Store {
  /** Always `"memory"`. */
  readonly name = "memory";
  #table: JobTable;
  #control = new ClaimControl();
  #schedules = new ScheduleTable();
  #metrics = new MetricsTable();
  #workers = new Map<string, { record: WorkerRecord; ttlMs: number }>();
  #channel = new Channel<StoreMessage>();
  #closed = false;

  /**
   * Creates an empty store.
   *
   * @param options what to keep
   * @throws {RangeError} when `maxFinished` is not a whole number of at least 0
   */
  constructor(options: MemoryStoreOptions = {}) {
    const { maxFinished = Infinity } = options;
    if (!(maxFinished === Infinity || (Number.isInteger(maxFinished) && maxFinished >= 0))) {
      throw new RangeError(
        `Cannot create a memory store as maxFinished must be a whole number: current value is ${maxFinished}`,
      );
    }
    this.#table = new JobTable(maxFinished);
  }

  add(jobs: readonly NewJob[]): Promise<Job[]> {
    return this.#run(() => this.#insert(jobs));
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#run(() => this.#table.claim(request, this.#control));
  }

  /** Extends live leases; a kept lease's log lines and progress are written with it. */
  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    return this.#run(() =>
      leases.map(({ id, token, logs, progress }) => {
        const entry = this.#table.leased(id, token);
        if (!entry) return false;
        entry.job.leaseUntil = now + leaseMs;
        if (progress) entry.job.progress = { ...progress };
        if (logs) { for (const line of logs) entry.logs.push(copyLine(line)); }
        return true;
      })
    );
  }

  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    return this.#run(() => {
      const woken = new Set<string>();
      const jobs = settlements.map((settlement) => {
        const entry = this.#table.leased(settlement.id, settlement.token);
        if (!entry) return undefined;
        const { job } = entry;
        const { outcome, now } = settlement;
        if (settlement.progress) job.progress = { ...settlement.progress };
        for (const line of settlement.logs) entry.logs.push(copyLine(line));
        if (outcome === "completed") {
          job.finished = now;
          job.error = undefined;
          job.result = settlement.result === undefined ? undefined : copyValue(settlement.result);
          this.#table.move(entry, "completed");
        } else if (outcome === "failed" || outcome === "timeout") {
          job.finished = now;
          job.error = { ...(settlement.error ?? { message: outcome }) };
          this.#table.move(entry, outcome);
        } else if (outcome === "retry") {
          job.error = settlement.error ? { ...settlement.error } : undefined;
          job.runAt = entry.readyAt = settlement.runAt ?? now;
          this.#table.move(entry, "delayed");
        } else {
          // "release": handed back unrun, so the attempt does not count.
          job.attempts = Math.max(0, job.attempts - 1);
          this.#table.move(entry, "queued");
          woken.add(job.task);
        }
        return copyJob(job);
      });
      this.#wake(woken);
      return { jobs, claimed: next ? this.#table.claim(next, this.#control) : { jobs: [] } };
    });
  }

  recover(now: number): Promise<Job[]> {
    return this.#run(() => {
      const recovered: Job[] = [];
      const woken = new Set<string>();
      for (const entry of this.#table.processing) {
        const { job } = entry;
        if ((job.leaseUntil ?? Infinity) >= now) continue;
        const max = job.maxAttempts ?? 0;
        if (max > 0 && job.attempts >= max) {
          job.error = { ...STALLED_ERROR };
          job.finished = now;
          this.#table.move(entry, "failed");
          entry.logs.push({ time: now, message: STORE_MESSAGES.stalledFailed });
        } else {
          this.#table.move(entry, "queued");
          entry.logs.push({ time: now, message: STORE_MESSAGES.stalledRequeued });
          woken.add(job.task);
        }
        recovered.push(copyJob(job));
      }
      this.#wake(woken);
      return recovered;
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#table.get(id);
      return entry && copyJob(entry.job);
    });
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return this.#run(() => {
      const start = Math.max(0, options.offset);
      const compare = compareJobs(options.sort);
      const after = options.after;
      const matches = this.#table.match(query)
        .filter((entry) => after === undefined || compare(entry.job, after) > 0);
      return firstInOrder(
        matches,
        (a, b) => compare(a.job, b.job),
        start + Math.max(0, options.limit),
      )
        .slice(start)
        .map((entry) => copyJob(entry.job));
    });
  }

  count(query: JobQuery): Promise<number> {
    return this.#run(() => this.#table.count(query));
  }

  stats(): Promise<JobStats> {
    return this.#run(() => this.#table.stats());
  }

  remove(filter: RemoveFilter): Promise<number> {
    return this.#run(() => this.#table.remove(filter));
  }

  cancel(id: string, now: number): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#table.get(id);
      const status = entry?.job.status;
      if (!entry || (status !== "queued" && status !== "delayed" && status !== "processing")) {
        return undefined;
      }
      entry.job.finished = now;
      this.#table.move(entry, "cancelled");
      entry.logs.push({ time: now, message: STORE_MESSAGES.cancelled });
      return copyJob(entry.job);
    });
  }

  /**
   * Puts a `failed`, `timeout` or `cancelled` job back in the queue, in its original place
   * (it is ready since its creation). It takes its dedupe key back when no other
   * unfinished job holds it meanwhile, else once that job has finished.
   */
  requeue(id: string, now: number): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#table.get(id);
      const status = entry?.job.status;
      if (!entry || (status !== "failed" && status !== "timeout" && status !== "cancelled")) {
        return undefined;
      }
      const { job } = entry;
      job.error = job.finished = job.runAt = undefined;
      entry.readyAt = job.created;
      this.#table.move(entry, "queued");
      entry.logs.push({ time: now, message: STORE_MESSAGES.requeued });
      this.#wake(new Set([job.task]));
      return copyJob(job);
    });
  }

  /** Deletes one job in any status, with its logs, freeing its key. */
  removeJob(id: string): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#table.get(id);
      if (!entry) return undefined;
      const removed = copyJob(entry.job);
      this.#table.move(entry, undefined);
      return removed;
    });
  }

  /**
   * Makes a delayed job ready now. With `runAt` cleared it orders like any queued job, by its
   * creation (the contract's rule), as a requeued job does.
   */
  promote(id: string, now: number): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#table.get(id);
      if (entry?.job.status !== "delayed") return undefined;
      entry.job.runAt = undefined;
      entry.readyAt = entry.job.created;
      this.#table.move(entry, "queued");
      entry.logs.push({ time: now, message: STORE_MESSAGES.promoted });
      this.#wake(new Set([entry.job.task]));
      return copyJob(entry.job);
    });
  }

  appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    return this.#run(() => this.#table.appendLogs(id, lines));
  }

  logs(id: string): Promise<LogLine[]> {
    return this.#run(() => inTimeOrder(this.#table.get(id)?.logs.map(copyLine) ?? []));
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#channel.close();
    return Promise.resolve();
  }

  /**
   * Messages sent by `publish` and by the store itself (wake-ups), until `signal` aborts or
   * the store closes.
   *
   * @throws {StoreError} when the store is closed
   */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    if (this.#closed) throw new StoreError(this.name, "store is closed");
    return this.#channel.subscribe(signal);
  }

  publish(message: StoreMessage): Promise<void> {
    return this.#run(() => this.#channel.send(message));
  }

  heartbeat(worker: WorkerRecord, ttlMs: number): Promise<void> {
    return this.#run(() => {
      this.#workers.set(worker.id, { record: copyValue(worker), ttlMs });
    });
  }

  workers(now: number): Promise<WorkerRecord[]> {
    return this.#run(() => {
      const live: WorkerRecord[] = [];
      for (const [id, { record, ttlMs }] of this.#workers) {
        if (now - record.seen > ttlMs) this.#workers.delete(id);
        else live.push(copyValue(record));
      }
      return live;
    });
  }

  // Schedules, pause and limits (DESIGN §6.2); limits are enforced inside `claim`.

  pause(target: PauseTarget): Promise<void> {
    return this.#run(() => this.#control.pause(target));
  }

  /** Resumes, and wakes every subscriber so waiting jobs start at once. */
  resume(target: PauseTarget): Promise<void> {
    return this.#run(() => {
      this.#control.resume(target);
      if (this.#channel.hasSubscribers) this.#channel.send({ type: "wake" });
    });
  }

  paused(): Promise<PauseTarget> {
    return this.#run(() => this.#control.paused());
  }

  schedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return this.#run(() => this.#schedules.save(schedule));
  }

  unschedule(id: string): Promise<boolean> {
    return this.#run(() => this.#schedules.delete(id));
  }

  schedules(): Promise<ScheduleRecord[]> {
    return this.#run(() => this.#schedules.list());
  }

  fire(fire: ScheduleFire): Promise<Job[] | undefined> {
    return this.#run(() => this.#schedules.fire(fire, (jobs) => this.#insert(jobs)));
  }

  recordMetrics(samples: readonly MetricsSample[], now: number): Promise<void> {
    return this.#run(() => this.#metrics.record(samples, now));
  }

  metrics(since: number): Promise<MetricsSample[]> {
    return this.#run(() => this.#metrics.read(since));
  }

  /** Saves jobs (keys deduplicating) and wakes the tasks of the queued ones. */
  #insert(jobs: readonly NewJob[]): Job[] {
    const woken = new Set<string>();
    const out = jobs.map((job) => {
      const entry = this.#table.insert(job);
      if (entry.job.status === "queued") woken.add(entry.job.task);
      return copyJob(entry.job);
    });
    this.#wake(woken);
    return out;
  }

  /** Runs a verb: rejects once closed, and turns a throw into a rejection. */
  #run<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError(this.name, "store is closed"));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #wake(tasks: Set<string>): void {
    if (!this.#channel.hasSubscribers) return;
    for (const task of tasks) this.#channel.send({ type: "wake", task });
  }
}
