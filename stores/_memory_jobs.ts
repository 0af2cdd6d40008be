/**
 * The memory store's job table: every record, the per-task indexes, the dedupe keys and the
 * claim. Private to `stores/memory.ts`, which builds the store verbs on top. @module
 */

import type { JobStatus, LogLine } from "../src/job.ts";
import { FINAL_STATUSES, isFinalStatus, JOB_STATUSES } from "../src/job.ts";
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
import { FinishedIndex } from "./_memory_finished.ts";
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
  /**
   * Unfinished jobs requeued while another job held their key: the first one left takes the
   * key when its holder finishes, so `add` keeps returning an unfinished job with the key.
   */
  #waiting = new Map<string, Set<Entry>>();
  #lastId = 0;
  #lastToken = 0;
  #lastStamp = 0;
  /** Finished entries by status, oldest first, and how many there are. */
  #finished = new FinishedIndex();
  #finishedCount = 0;
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
        maxAttempts: job.maxAttempts,
        result: undefined,
        retry: job.retry && { ...job.retry },
        timeout: job.timeout,
        trace: job.trace && { ...job.trace },
      },
      seq: this.#lastId,
      readyAt: job.runAt ?? job.created,
      stamp: 0,
      token: undefined,
      hasOwnMaxAttempts: job.maxAttempts !== undefined,
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
    if (isFinalStatus(job.status)) this.#finishedCount--;
    entry.stamp = ++this.#lastStamp;
    if (!isUnfinished(status) && job.key !== undefined) this.#releaseKey(job.key, entry);
    if (status === undefined) {
      this.#entries.delete(job.id);
      return;
    }
    job.status = status;
    index.counts[status]++;
    if (isFinalStatus(status)) {
      this.#finishedCount++;
      this.#finished.add(entry);
      while (this.#finishedCount > this.#maxFinished) {
        this.move(this.#finished.takeOldest(FINAL_STATUSES)!, undefined);
      }
    }
    if (status === "processing") this.#processing.add(entry);
    else if (status === "queued" || status === "delayed") {
      if (job.key !== undefined) this.#holdKey(job.key, entry);
      index.push(entry);
    }
  }

  /** `entry` is queued or delayed: it holds its key when that is free, else waits for it. */
  #holdKey(key: string, entry: Entry): void {
    const holder = this.#keys.get(key);
    if (holder === undefined) this.#keys.set(key, entry);
    else if (holder !== entry) {
      let waiting = this.#waiting.get(key);
      if (!waiting) this.#waiting.set(key, waiting = new Set());
      waiting.add(entry);
    }
  }

  /** `entry` is finishing: it stops waiting for its key, or hands it to the first waiting. */
  #releaseKey(key: string, entry: Entry): void {
    const waiting = this.#waiting.get(key);
    waiting?.delete(entry);
    if (this.#keys.get(key) !== entry) return;
    const [next] = waiting ?? [];
    if (next === undefined) this.#keys.delete(key);
    else {
      this.#keys.set(key, next);
      waiting!.delete(next);
    }
    if (waiting?.size === 0) this.#waiting.delete(key);
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

  /**
   * Deletes the jobs `filter` selects; returns how many. With `before`, `keep` or `limit`,
   * the oldest finished go first: from the finished index when only final statuses of every
   * task are asked for (a retention sweep), else by sorting the matches.
   */
  remove(filter: RemoveFilter): number {
    const { before, keep, limit = Infinity } = filter;
    const isNarrowed = before !== undefined || keep !== undefined || limit !== Infinity;
    if (!isNarrowed) {
      let removed = 0;
      for (const entry of this.#select(filter)) {
        this.move(entry, undefined);
        removed++;
      }
      return removed;
    }
    if (!filter.tasks && filter.status.every(isFinalStatus)) {
      let left = keep === undefined ? Infinity : this.count({ status: { $in: filter.status } });
      let removed = 0;
      while (removed < limit && left > (keep ?? -1)) {
        const entry = this.#finished.takeOldest(filter.status, before);
        if (!entry) break;
        this.move(entry, undefined);
        removed++;
        left--;
      }
      return removed;
    }
    // Jobs without a finish time count as the newest, and never as finished before anything.
    const finished = (entry: Entry) => entry.job.finished ?? Infinity;
    const matches = this.#select(filter).sort((a, b) => finished(a) - finished(b) || a.seq - b.seq);
    const spared = keep === undefined
      ? matches
      : matches.slice(0, Math.max(0, matches.length - keep));
    const doomed = spared.filter((entry) => before === undefined || finished(entry) < before);
    for (const entry of doomed.slice(0, limit)) this.move(entry, undefined);
    return Math.min(doomed.length, limit);
  }

  /** Entries of the filter's statuses and tasks. */
  #select(filter: RemoveFilter): Entry[] {
    const statuses = new Set(filter.status);
    const tasks = filter.tasks && new Set(filter.tasks);
    return [...this.#entries.values()].filter((entry) =>
      statuses.has(entry.job.status) && (!tasks || tasks.has(entry.job.task))
    );
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
    if (!entry.hasOwnMaxAttempts) job.maxAttempts = request.maxAttempts?.[job.task] ?? 0;
    entry.token = String(++this.#lastToken);
    const leased = copyJob(job) as LeasedJob;
    leased.token = entry.token;
    return leased;
  }

  #index(task: string): TaskIndex {
    let index = this.#tasks.get(task);
    if (!index) this.#tasks.set(task, index = new TaskIndex());
    return index;
  }
}
