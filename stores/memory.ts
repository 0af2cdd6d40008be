/**
 * The memory store: Kinetik's default store and the reference implementation of the store
 * contract, for one process. Nothing survives a restart.
 *
 * @example Using the memory store
 * ```ts
 * import { MemoryStore } from "@kinetik/kinetik/stores/memory";
 * const store = new MemoryStore();
 * const [job] = await store.add([
 *   { task: "email", data: { to: "ada" }, created: 0, priority: 0, log: { time: 0, message: "Created" } },
 * ]);
 * const { jobs } = await store.claim({ groups: [["email"]], limit: 1, worker: "w", leaseMs: 1000, now: 0 });
 * if (jobs[0].id !== job.id) throw new Error("expected the job to be claimed");
 * await store.close();
 * ```
 *
 * @module
 */

import type { Job, JobStatus, LogLine } from "../src/job.ts";
import { JOB_STATUSES } from "../src/job.ts";
import { compareJobs, compileQuery, queryHints } from "../src/query.ts";
import type {
  ClaimRequest,
  ClaimResult,
  FindOptions,
  JobQuery,
  JobStats,
  Lease,
  LeasedJob,
  NewJob,
  RemoveFilter,
  Settlement,
  SettleResult,
  Store,
  StoreMessage,
  WorkerRecord,
} from "../src/store.ts";
import { STALLED_ERROR, STORE_MESSAGES, StoreError } from "../src/store.ts";
import { Channel } from "./_channel.ts";
import { copyJob, copyLine, copyValue, type Entry, TaskIndex } from "./_memory_index.ts";

/*
 * How claiming stays O(log n): every task has a heap of ready jobs ordered by (priority,
 * time it became ready, creation order) and a heap of delayed jobs ordered by `runAt`. A
 * claim first moves the due delayed jobs of the tasks it asks for into their ready heaps,
 * then merges the tops of the heaps of one priority group at a time. Heap slots are never
 * removed when a job changes status elsewhere (cancel, remove); instead each slot carries
 * the job's `stamp` at push time, and a slot whose stamp no longer matches, or whose job is
 * no longer waiting, is dropped when it surfaces. Counts come from per-task counters and
 * per-status sets that every status change keeps up to date, so nothing on the hot path
 * scans all jobs.
 */

/** The default, single-process {@linkcode Store}: fast, exact, and gone on restart. */
export class MemoryStore implements Store {
  /** Always `"memory"`. */
  readonly name = "memory";
  #entries = new Map<string, Entry>();
  #tasks = new Map<string, TaskIndex>();
  /** Jobs holding a lease, for `recover`; other statuses are only ever counted or scanned. */
  #processing = new Set<Entry>();
  #keys = new Map<string, Entry>();
  #workers = new Map<string, { record: WorkerRecord; ttlMs: number }>();
  #channel = new Channel<StoreMessage>();
  #lastId = 0;
  #lastToken = 0;
  #lastStamp = 0;
  #closed = false;

  add(jobs: readonly NewJob[]): Promise<Job[]> {
    return this.#run(() => {
      const out: Job[] = [];
      const woken = new Set<string>();
      for (const job of jobs) {
        const existing = job.key === undefined ? undefined : this.#keys.get(job.key);
        if (existing) {
          out.push(copyJob(existing));
          continue;
        }
        const delayed = job.runAt !== undefined;
        const entry: Entry = {
          job: {
            id: String(++this.#lastId),
            task: job.task,
            data: copyValue(job.data),
            status: delayed ? "delayed" : "queued",
            created: job.created,
            runAt: job.runAt,
            attempts: 0,
            priority: job.priority,
            key: job.key,
            error: undefined,
            started: undefined,
            finished: undefined,
            progress: undefined,
            worker: undefined,
            leaseUntil: undefined,
            maxAttempts: undefined,
          },
          seq: this.#lastId,
          readyAt: job.runAt ?? job.created,
          stamp: 0,
          token: undefined,
          logs: [copyLine(job.log)],
        };
        this.#entries.set(entry.job.id, entry);
        this.#index(job.task).counts[entry.job.status]++;
        if (job.key !== undefined) this.#keys.set(job.key, entry);
        this.#enqueue(entry);
        if (!delayed) woken.add(job.task);
        out.push(copyJob(entry));
      }
      this.#wake(woken);
      return out;
    });
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#run(() => this.#claim(request));
  }

  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    return this.#run(() =>
      leases.map(({ id, token }) => {
        const entry = this.#leased(id, token);
        if (entry) entry.job.leaseUntil = now + leaseMs;
        return entry !== undefined;
      })
    );
  }

  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    return this.#run(() => {
      const woken = new Set<string>();
      const jobs = settlements.map((settlement) => {
        const entry = this.#leased(settlement.id, settlement.token);
        if (!entry) return undefined;
        const { job } = entry;
        const { outcome, now } = settlement;
        this.#unlease(entry);
        if (settlement.progress) job.progress = { ...settlement.progress };
        for (const line of settlement.logs) entry.logs.push(copyLine(line));
        if (outcome === "completed") {
          job.finished = now;
          job.error = undefined;
          this.#setStatus(entry, "completed");
        } else if (outcome === "failed" || outcome === "timeout") {
          job.finished = now;
          job.error = { ...(settlement.error ?? { message: outcome }) };
          this.#setStatus(entry, outcome);
        } else if (outcome === "retry") {
          job.error = settlement.error ? { ...settlement.error } : undefined;
          job.runAt = settlement.runAt ?? now;
          entry.readyAt = job.runAt;
          this.#setStatus(entry, "delayed");
          this.#enqueue(entry);
        } else {
          job.attempts = Math.max(0, job.attempts - 1);
          this.#setStatus(entry, "queued");
          this.#enqueue(entry);
          woken.add(job.task);
        }
        return copyJob(entry);
      });
      this.#wake(woken);
      return { jobs, claimed: next ? this.#claim(next) : { jobs: [] } };
    });
  }

  recover(now: number): Promise<Job[]> {
    return this.#run(() => {
      const recovered: Job[] = [];
      const woken = new Set<string>();
      for (const entry of this.#processing) {
        const { job } = entry;
        if ((job.leaseUntil ?? Infinity) >= now) continue;
        this.#unlease(entry);
        const max = job.maxAttempts ?? 0;
        if (max > 0 && job.attempts >= max) {
          job.error = { ...STALLED_ERROR };
          job.finished = now;
          this.#setStatus(entry, "failed");
          entry.logs.push({ time: now, message: STORE_MESSAGES.stalledFailed });
        } else {
          this.#setStatus(entry, "queued");
          this.#enqueue(entry);
          entry.logs.push({ time: now, message: STORE_MESSAGES.stalledRequeued });
          woken.add(job.task);
        }
        recovered.push(copyJob(entry));
      }
      this.#wake(woken);
      return recovered;
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#entries.get(id);
      return entry && copyJob(entry);
    });
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return this.#run(() => {
      const start = Math.max(0, options.offset);
      const compare = compareJobs(options.sort);
      return this.#match(query)
        .sort((a, b) => compare(a.job, b.job))
        .slice(start, start + Math.max(0, options.limit))
        .map(copyJob);
    });
  }

  count(query: JobQuery): Promise<number> {
    return this.#run(() => {
      const keys = Object.keys(query);
      const hints = queryHints(query);
      const indexed = keys.every((key) =>
        (key === "status" && hints.status) || (key === "task" && hints.task)
      );
      if (!indexed) return this.#match(query).length;
      const tasks = hints.task ?? [...this.#tasks.keys()];
      const statuses = hints.status ?? JOB_STATUSES;
      let total = 0;
      for (const task of new Set(tasks)) {
        const counts = this.#tasks.get(task)?.counts;
        if (counts) { for (const status of new Set(statuses)) total += counts[status]; }
      }
      return total;
    });
  }

  stats(): Promise<JobStats> {
    return this.#run(() => {
      const stats: JobStats = {};
      for (const [task, index] of this.#tasks) {
        const entries = JOB_STATUSES.filter((status) => index.counts[status] > 0)
          .map((status) => [status, index.counts[status]]);
        if (entries.length > 0) stats[task] = Object.fromEntries(entries);
      }
      return stats;
    });
  }

  remove(filter: RemoveFilter): Promise<number> {
    return this.#run(() => {
      const statuses = new Set(filter.status);
      const tasks = filter.tasks && new Set(filter.tasks);
      let removed = 0;
      for (const [id, entry] of this.#entries) {
        if (!statuses.has(entry.job.status) || (tasks && !tasks.has(entry.job.task))) continue;
        this.#unlease(entry);
        this.#setStatus(entry, undefined);
        this.#entries.delete(id);
        removed++;
      }
      return removed;
    });
  }

  cancel(id: string, now: number): Promise<Job | undefined> {
    return this.#run(() => {
      const entry = this.#entries.get(id);
      const status = entry?.job.status;
      if (!entry || (status !== "queued" && status !== "delayed" && status !== "processing")) {
        return undefined;
      }
      this.#unlease(entry);
      entry.job.finished = now;
      this.#setStatus(entry, "cancelled");
      entry.logs.push({ time: now, message: STORE_MESSAGES.cancelled });
      return copyJob(entry);
    });
  }

  appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    return this.#run(() => {
      const entry = this.#entries.get(id);
      if (entry) { for (const line of lines) entry.logs.push(copyLine(line)); }
    });
  }

  logs(id: string): Promise<LogLine[]> {
    return this.#run(() => this.#entries.get(id)?.logs.map(copyLine) ?? []);
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

  /** Runs a verb: rejects once closed, and turns a throw into a rejection. */
  #run<T>(fn: () => T): Promise<T> {
    if (this.#closed) return Promise.reject(new StoreError(this.name, "store is closed"));
    try {
      return Promise.resolve(fn());
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #claim(request: ClaimRequest): ClaimResult {
    const { limit, now } = request;
    if (!(limit >= 1)) {
      throw new RangeError(
        `Cannot claim jobs as limit must be at least 1: current value is ${limit}`,
      );
    }
    const jobs: LeasedJob[] = [];
    for (const group of request.groups) {
      const indexes: TaskIndex[] = [];
      for (const task of group) {
        const index = this.#tasks.get(task);
        if (index) indexes.push(index.promote(now));
      }
      while (jobs.length < limit) {
        let best: TaskIndex | undefined;
        for (const index of indexes) {
          if (index.readyTop() && (!best || index.readsBefore(best))) best = index;
        }
        if (!best) break;
        jobs.push(this.#lease(best.popReady()!, request));
      }
    }
    if (jobs.length === limit) return { jobs };
    let next: number | undefined;
    for (const task of request.groups.flat()) {
      const runAt = this.#tasks.get(task)?.nextRunAt();
      if (runAt !== undefined && (next === undefined || runAt < next)) next = runAt;
    }
    return next === undefined ? { jobs } : { jobs, next };
  }

  #lease(entry: Entry, request: ClaimRequest): LeasedJob {
    const { job } = entry;
    this.#setStatus(entry, "processing");
    job.attempts++;
    job.started = request.now;
    job.worker = request.worker;
    job.leaseUntil = request.now + request.leaseMs;
    job.maxAttempts = request.maxAttempts?.[job.task] ?? 0;
    entry.token = String(++this.#lastToken);
    const leased = copyJob(entry) as LeasedJob;
    leased.token = entry.token;
    return leased;
  }

  /** The entry when `token` is its current claim and it is still processing. */
  #leased(id: string, token: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.token !== token || entry.job.status !== "processing") return undefined;
    return entry;
  }

  #unlease(entry: Entry): void {
    entry.token = undefined;
    entry.job.leaseUntil = undefined;
    entry.job.worker = undefined;
  }

  /** Moves an entry to `status`, keeping counters, sets and keys in step (undefined: removed). */
  #setStatus(entry: Entry, status: JobStatus | undefined): void {
    const { job } = entry;
    const counts = this.#index(job.task).counts;
    if (job.status === "processing") this.#processing.delete(entry);
    counts[job.status]--;
    entry.stamp = ++this.#lastStamp;
    if (
      status === undefined ||
      (status !== "queued" && status !== "delayed" && status !== "processing")
    ) {
      if (job.key !== undefined && this.#keys.get(job.key) === entry) this.#keys.delete(job.key);
    }
    if (status === undefined) return;
    job.status = status;
    if (status === "processing") this.#processing.add(entry);
    counts[status]++;
  }

  #enqueue(entry: Entry): void {
    this.#index(entry.job.task).push(entry);
  }

  #index(task: string): TaskIndex {
    let index = this.#tasks.get(task);
    if (!index) this.#tasks.set(task, index = new TaskIndex());
    return index;
  }

  /** Matches a query against every job, narrowed by its `status` and `task` hints. */
  #match(query: JobQuery): Entry[] {
    const hints = queryHints(query);
    const matches = compileQuery(query);
    const statuses = hints.status && new Set(hints.status);
    const tasks = hints.task && new Set(hints.task);
    const out: Entry[] = [];
    for (const entry of this.#entries.values()) {
      const { job } = entry;
      if (statuses && !statuses.has(job.status)) continue;
      if ((!tasks || tasks.has(job.task)) && matches(job)) out.push(entry);
    }
    return out;
  }

  #wake(tasks: Set<string>): void {
    if (!this.#channel.hasSubscribers) return;
    for (const task of tasks) this.#channel.send({ type: "wake", task });
  }
}
