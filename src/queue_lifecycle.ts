/**
 * The queue's verbs that change one job's life by hand — cancel, remove, promote, retry — and
 * the bulk retry of every job matching a query. Each is one atomic store verb; what the queue
 * adds is telling the other parties: the process running the job (its signal aborts), idle
 * processors (a wake-up) and pending `wait()`s (a nudge). @module
 */

import type { Clock } from "./clock.ts";
import type { QueueEvent } from "./events.ts";
import type { Job, JobStatus } from "./job.ts";
import type { JobQuery, Store, StoreMessage } from "./store.ts";

/** What the lifecycle verbs need from their queue. */
export interface LifecycleHost {
  readonly store: Store;
  readonly clock: Clock;
  /** Aborts this process's run of job `id`, if it runs one. */
  abortRun(id: string): void;
  /** Wakes this process's idle processors that handle `task`. */
  wake(task: string): void;
  /** Sends a message to every process on the store. */
  publish(message: StoreMessage): Promise<void>;
  /** Emits a job event of this process. */
  emit(event: QueueEvent): void;
  /** Tells pending waits on job `id` to read it again. */
  nudge(id: string): void;
  reportError(error: unknown): void;
}

/** The statuses `retry` puts back in the queue. */
export const RETRYABLE_STATUSES: readonly JobStatus[] = ["failed", "timeout", "cancelled"];

/** Jobs a bulk retry reads per page. */
const PAGE = 500;

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * A job's id from a record or an id.
 * @throws {TypeError} when it is neither a job nor a non-empty string
 */
export function jobIdOf(job: Job | string, action: string): string {
  const id = typeof job === "object" && job !== null ? job.id : job;
  if (typeof id !== "string" || id === "") {
    throw new TypeError(
      `Cannot ${action} as it needs a job or an id: current value is ${show(job)}`,
    );
  }
  return id;
}

/** Aborts a run of job `id` wherever it runs, and nudges waits on it everywhere. */
async function announceEnd(host: LifecycleHost, id: string): Promise<void> {
  host.abortRun(id);
  host.nudge(id);
  await host.publish({ type: "cancel", id }).catch((error) => host.reportError(error));
}

/** `queue.cancel()`: `true` when the job was cancelled, `false` when it had finished. */
export async function cancelJob(host: LifecycleHost, job: Job | string): Promise<boolean> {
  const id = jobIdOf(job, "cancel job");
  const cancelled = await host.store.cancel(id, host.clock.now());
  if (!cancelled) return false;
  await announceEnd(host, id);
  host.emit({ type: "cancelled", job: cancelled, time: host.clock.now() });
  return true;
}

/**
 * `queue.remove()`: deletes the job and its logs in any status; a running one is cancelled
 * first (its signal aborts in whichever process runs it).
 * @throws {Error} when the store cannot remove single jobs
 */
export async function removeJob(host: LifecycleHost, job: Job | string): Promise<boolean> {
  const id = jobIdOf(job, "remove job");
  const { store } = host;
  if (!store.removeJob) {
    throw new Error(`Cannot remove job as the ${store.name} store cannot remove single jobs`);
  }
  const removed = await store.removeJob(id);
  if (!removed) return false;
  // Sent for any status, not only `processing`: waits in other processes learn of it too.
  await announceEnd(host, id);
  return true;
}

/**
 * `queue.promote()`: a delayed job becomes ready now; `false` when it was not delayed.
 * @throws {Error} when the store cannot promote jobs
 */
export async function promoteJob(host: LifecycleHost, job: Job | string): Promise<boolean> {
  const id = jobIdOf(job, "promote job");
  const { store } = host;
  if (!store.promote) {
    throw new Error(`Cannot promote job as the ${store.name} store cannot promote jobs`);
  }
  const promoted = await store.promote(id, host.clock.now());
  if (!promoted) return false;
  host.wake(promoted.task);
  return true;
}

function requeuer(store: Store): NonNullable<Store["requeue"]> {
  if (!store.requeue) {
    throw new Error(`Cannot retry job as the ${store.name} store cannot requeue jobs`);
  }
  return store.requeue.bind(store);
}

/**
 * `queue.retry(id)`: the job back in the queue, or `undefined` when it is unknown or not
 * failed, timed out or cancelled.
 * @throws {Error} when the store cannot requeue jobs
 */
export async function retryJob(host: LifecycleHost, id: string): Promise<Job | undefined> {
  const job = await requeuer(host.store)(id, host.clock.now());
  if (job) host.wake(job.task);
  return job;
}

/**
 * `queue.retry(query)`: requeues every failed, timed-out or cancelled job matching a
 * validated query; resolves to how many. It reads a page, requeues each job, and reads the
 * first page again (the requeued ones no longer match) until a page brings no job it has not
 * seen, so a job that fails again meanwhile is not retried twice.
 * @throws {Error} when the store cannot requeue jobs
 */
export async function retryJobs(host: LifecycleHost, query: JobQuery): Promise<number> {
  const requeue = requeuer(host.store);
  const retryable = { status: { $in: [...RETRYABLE_STATUSES] } };
  const matching = "status" in query ? { $and: [query, retryable] } : { ...query, ...retryable };
  const seen = new Set<string>();
  let count = 0;
  for (;;) {
    const page = await host.store.find(matching, { offset: 0, limit: PAGE });
    const fresh = page.filter((job) => !seen.has(job.id));
    if (fresh.length === 0) return count;
    const tasks = new Set<string>();
    for (const job of fresh) {
      seen.add(job.id);
      const requeued = await requeue(job.id, host.clock.now());
      if (requeued) {
        count++;
        tasks.add(requeued.task);
      }
    }
    for (const task of tasks) host.wake(task);
    if (page.length < PAGE) return count;
  }
}
