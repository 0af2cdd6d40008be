/**
 * The memory store's job table: every record, the per-task indexes, the dedupe keys and the
 * claim. Private to `stores/memory.ts`, which builds the store verbs on top. @module
 */

import type { JobStatus, LogLine } from "../src/job.ts";
import { JOB_STATUSES } from "../src/job.ts";
import { compileQuery, queryHints } from "../src/query.ts";
import type {
  ClaimRequest,
  ClaimResult,
  JobQuery,
  JobStats,
  LeasedJob,
  NewJob,
  RemoveFilter,
} from "../src/store.ts";
import { copyJob, copyLine, copyValue } from "./_copy.ts";
import type { ClaimControl } from "./_memory_control.ts";
import { type Entry, TaskIndex } from "./_memory_index.ts";

const isUnfinished = (status: JobStatus | undefined) =>
  status === "queued" || status === "delayed" || status === "processing";

/*
 * How claiming stays O(log n): every task has a heap of ready jobs ordered by (priority,
 * time it became ready, creation order) and a heap of delayed jobs ordered by `runAt`. A
 * claim first moves the due delayed jobs of the tasks it asks for into their ready heaps,
 * then merges the tops of the heaps of one priority group at a time. Heap slots are never
 * removed when a job changes status elsewhere (cancel, remove); instead each slot carries
 * the job's `stamp` at push time, and a slot whose stamp no longer matches, or whose job is
 * no longer waiting, is dropped when it surfaces. Counts come from per-task counters that
 * every status change keeps up to date, so nothing on the hot path scans all jobs.
 */

/** Every job of a memory store, indexed for claims and counts. */
export class JobTable {
  #entries = new Map<string, Entry>();
  #tasks = new Map<string, TaskIndex>();
  /** Jobs holding a lease, for `recover`; other statuses are only counted or scanned. */
  #processing = new Set<Entry>();
  /** Dedupe keys of unfinished jobs. */
  #keys = new Map<string, Entry>();
  #lastId = 0;
  #lastToken = 0;
  #lastStamp = 0;
  /** Finished entries in the order they finished, with their stamp then (oldest first). */
  #finished: { entry: Entry; stamp: number }[] = [];
  #finishedHead = 0;
  #maxFinished: number;

  /** @param maxFinished how many finished jobs to keep before dropping the oldest */
  constructor(maxFinished = Infinity) {
    this.#maxFinished = maxFinished;
  }

  /** Saves a new job, or returns the unfinished entry holding its key. */
  insert(job: NewJob): Entry {
    const existing = job.key === undefined ? undefined : this.#keys.get(job.key);
    if (existing) return existing;
    const entry: Entry = {
      job: {
        id: String(++this.#lastId),
        task: job.task,
        data: copyValue(job.data),
        status: job.runAt === undefined ? "queued" : "delayed",
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
    this.#index(job.task).push(entry);
    return entry;
  }

  /** The entry of job `id`. */
  get(id: string): Entry | undefined {
    return this.#entries.get(id);
  }

  /** The entry when `token` is its current claim and it is still processing. */
  leased(id: string, token: string): Entry | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.token !== token || entry.job.status !== "processing") return undefined;
    return entry;
  }

  /** Jobs holding a lease. */
  get processing(): Iterable<Entry> {
    return this.#processing;
  }

  /**
   * Moves an entry to `status`: drops its lease when it leaves `processing`, keeps counters
   * and keys in step, and files it for claiming again when it is `queued` or `delayed`
   * (`readyAt` must be set first). `undefined` removes the entry.
   */
  move(entry: Entry, status: JobStatus | undefined): void {
    const { job } = entry;
    const index = this.#index(job.task);
    if (job.status === "processing") {
      this.#processing.delete(entry);
      entry.token = undefined;
      job.leaseUntil = undefined;
      job.worker = undefined;
    }
    index.counts[job.status]--;
    entry.stamp = ++this.#lastStamp;
    if (!isUnfinished(status) && job.key !== undefined && this.#keys.get(job.key) === entry) {
      this.#keys.delete(job.key);
    }
    if (status === undefined) {
      this.#entries.delete(job.id);
      return;
    }
    job.status = status;
    index.counts[status]++;
    if (!isUnfinished(status) && this.#maxFinished !== Infinity) this.#retire(entry);
    if (status === "processing") this.#processing.add(entry);
    else if (status === "queued" || status === "delayed") {
      if (job.key !== undefined && !this.#keys.has(job.key)) this.#keys.set(job.key, entry);
      index.push(entry);
    }
  }

  /**
   * Leases ready jobs, best first (see the comment above the class), passing paused tags and
   * tasks and limited tasks through `control`'s gate (see `_memory_control.ts`).
   */
  claim(request: ClaimRequest, control?: ClaimControl): ClaimResult {
    const { limit, now } = request;
    if (!(limit >= 1)) {
      throw new RangeError(
        `Cannot claim jobs as limit must be at least 1: current value is ${limit}`,
      );
    }
    const gate = control?.gate(request, this);
    const jobs: LeasedJob[] = [];
    for (let g = 0; g < request.groups.length; g++) {
      if (gate?.skipsGroup(g)) continue;
      const indexes: TaskIndex[] = [];
      const names: string[] = []; // the task of each index, for the gate
      for (const task of request.groups[g]) {
        const index = this.#tasks.get(task);
        if (!index || gate?.skipsTask(task)) continue;
        index.promote(now);
        if (gate && gate.allowance(task) === 0) {
          if (index.readyTop()) gate.heldBack(task);
          continue;
        }
        indexes.push(index);
        if (gate) names.push(task);
      }
      while (jobs.length < limit) {
        let best = -1;
        for (let i = 0; i < indexes.length; i++) {
          if (indexes[i].readyTop() && (best < 0 || indexes[i].readsBefore(indexes[best]))) {
            best = i;
          }
        }
        if (best < 0) break;
        jobs.push(this.#lease(indexes[best].popReady()!, request));
        if (!gate) continue;
        gate.started(names[best]);
        if (gate.allowance(names[best]) > 0) continue;
        if (indexes[best].readyTop()) gate.heldBack(names[best]);
        indexes.splice(best, 1);
        names.splice(best, 1);
      }
    }
    if (jobs.length === limit) return { jobs };
    let next = gate?.next;
    for (let g = 0; g < request.groups.length; g++) {
      if (gate?.skipsGroup(g)) continue; // a paused group's delayed jobs make nothing claimable
      for (const task of request.groups[g]) {
        if (gate?.skipsTask(task)) continue;
        const runAt = this.#tasks.get(task)?.nextRunAt();
        if (runAt !== undefined && (next === undefined || runAt < next)) next = runAt;
      }
    }
    return next === undefined ? { jobs } : { jobs, next };
  }

  /** How many jobs of `task` are processing (for the claim gate's concurrency limits). */
  processingOf(task: string): number {
    return this.#tasks.get(task)?.counts.processing ?? 0;
  }

  /** Entries matching a query, narrowed by its `status` and `task` hints first. */
  match(query: JobQuery): Entry[] {
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

  /** How many jobs match; from the counters when the query only names statuses and tasks. */
  count(query: JobQuery): number {
    const hints = queryHints(query);
    const indexed = Object.keys(query).every((key) =>
      (key === "status" && hints.status) || (key === "task" && hints.task)
    );
    if (!indexed) return this.match(query).length;
    const statuses = new Set(hints.status ?? JOB_STATUSES);
    let total = 0;
    for (const task of new Set(hints.task ?? this.#tasks.keys())) {
      const counts = this.#tasks.get(task)?.counts;
      if (counts) { for (const status of statuses) total += counts[status]; }
    }
    return total;
  }

  /** Counts by task and status, without zeros. */
  stats(): JobStats {
    const stats: JobStats = {};
    for (const [task, { counts }] of this.#tasks) {
      const nonZero = JOB_STATUSES.filter((status) => counts[status] > 0);
      if (nonZero.length > 0) {
        stats[task] = Object.fromEntries(nonZero.map((status) => [status, counts[status]]));
      }
    }
    return stats;
  }

  /** Deletes the jobs `filter` selects; returns how many. */
  remove(filter: RemoveFilter): number {
    const statuses = new Set(filter.status);
    const tasks = filter.tasks && new Set(filter.tasks);
    let removed = 0;
    for (const entry of this.#entries.values()) {
      if (!statuses.has(entry.job.status) || (tasks && !tasks.has(entry.job.task))) continue;
      this.move(entry, undefined);
      removed++;
    }
    return removed;
  }

  /** Appends copies of `lines` to a job's log (no-op for an unknown job). */
  appendLogs(id: string, lines: readonly LogLine[]): void {
    const entry = this.#entries.get(id);
    if (entry) { for (const line of lines) entry.logs.push(copyLine(line)); }
  }

  #lease(entry: Entry, request: ClaimRequest): LeasedJob {
    const { job } = entry;
    this.move(entry, "processing");
    job.attempts++;
    job.started = request.now;
    job.worker = request.worker;
    job.leaseUntil = request.now + request.leaseMs;
    job.maxAttempts = request.maxAttempts?.[job.task] ?? 0;
    entry.token = String(++this.#lastToken);
    const leased = copyJob(job) as LeasedJob;
    leased.token = entry.token;
    return leased;
  }

  /** Records a finished entry and drops the oldest finished ones beyond `maxFinished`. */
  #retire(entry: Entry): void {
    const finished = this.#finished;
    finished.push({ entry, stamp: entry.stamp });
    while (finished.length - this.#finishedHead > this.#maxFinished) {
      const oldest = finished[this.#finishedHead++];
      // Skip an entry that was requeued or removed since (its stamp moved on).
      if (oldest.stamp === oldest.entry.stamp) this.move(oldest.entry, undefined);
    }
    if (this.#finishedHead > 1024 && this.#finishedHead * 2 > finished.length) {
      this.#finished = finished.slice(this.#finishedHead);
      this.#finishedHead = 0;
    }
  }

  #index(task: string): TaskIndex {
    let index = this.#tasks.get(task);
    if (!index) this.#tasks.set(task, index = new TaskIndex());
    return index;
  }
}
