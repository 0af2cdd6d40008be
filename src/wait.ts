/**
 * Following one job to its end: `queue.wait(id)`, a promise of its final record (for a web
 * request that enqueues a job and answers with its result), and `queue.watch(id)`, the stream
 * of its events.
 *
 * A wait listens first and reads second, so it cannot miss the end: it opens the job's event
 * stream, then reads the record (a final one resolves at once), and reads it again on the
 * job's final event (from any process when the store carries events), on a nudge (the queue
 * removed the job, or another process sent a cancel for it) and once per `interval` — the
 * only reading on a store without events, and a safety net on one whose messages can be lost
 * (pub/sub drops what is sent while a connection is down). @module
 */

import type { Clock } from "./clock.ts";
import { type Duration, parseDuration } from "./duration.ts";
import type { EventBus } from "./event_bus.ts";
import { FINAL_EVENT, isFinalEvent, type QueueEvent } from "./events.ts";
import { isFinalStatus, type Job } from "./job.ts";

/** Options of `queue.wait()`. */
export interface WaitOptions {
  /** Reject with a `TimeoutError` `DOMException` after this long (ms or `"30s"`). */
  timeout?: Duration;
  /** Reject with an `AbortError` `DOMException` (or the signal's own reason) when it aborts. */
  signal?: AbortSignal;
}

/** Where waits read from. */
export interface WaitSource {
  readonly clock: Clock;
  /** How often a wait reads the record again, in ms. */
  readonly interval: number;
  get(id: string): Promise<Job | undefined>;
  /** Job `id`'s events, from every process when the store carries them. */
  events(id: string): ReadableStream<QueueEvent>;
}

interface Waiter {
  nudge(): void;
  close(reason: Error): void;
}

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

function abortReason(signal: AbortSignal): DOMException {
  return signal.reason instanceof DOMException
    ? signal.reason
    : new DOMException("The wait for the job was aborted", "AbortError");
}

/**
 * `queue.watch(id)`: a stream of one job's events that closes after its final one; for a job
 * that is already final, just that event.
 */
export function watchJob(
  bus: EventBus,
  get: (id: string) => Promise<Job | undefined>,
  id: string,
): ReadableStream<QueueEvent> {
  return bus.watch(id, (outlet) => {
    get(id).then((job) => {
      if (!job) {
        outlet.error(
          new TypeError(`Cannot watch job as it does not exist: current value is ${show(id)}`),
        );
      } else if (isFinalStatus(job.status)) {
        outlet.push({ type: FINAL_EVENT[job.status]!, job, time: job.finished ?? job.created });
      }
    }, (error) => outlet.error(error));
  });
}

/** The pending waits of one queue. */
export class JobWaiters {
  #source: WaitSource;
  #waiters = new Map<string, Set<Waiter>>();

  constructor(source: WaitSource) {
    this.#source = source;
  }

  /**
   * Resolves with job `id`'s record once it is final.
   * @throws {TypeError | RangeError} for a bad timeout or signal, at the call
   */
  wait(id: string, options: WaitOptions = {}): Promise<Job> {
    const timeout = options.timeout === undefined
      ? undefined
      : parseDuration(options.timeout, "wait timeout");
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(
        `Cannot wait for job as signal must be an AbortSignal: current value is ${show(signal)}`,
      );
    }
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<Job>((resolve, reject) => this.#start(id, timeout, signal, resolve, reject));
  }

  /** Job `id` may have changed (removed, cancelled elsewhere): its waits read it again. */
  nudge(id: string): void {
    for (const waiter of this.#waiters.get(id) ?? []) waiter.nudge();
  }

  /** Rejects every pending wait: the queue is closing. */
  close(): void {
    const reason = new Error("Cannot wait for job as the queue is closed");
    for (const waiters of [...this.#waiters.values()]) {
      for (const waiter of [...waiters]) waiter.close(reason);
    }
  }

  #start(
    id: string,
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    resolve: (job: Job) => void,
    reject: (reason: unknown) => void,
  ): void {
    const { clock } = this.#source;
    // An interval of 0 (no idle wait) must not turn the safety read into a busy loop.
    const interval = Math.max(10, this.#source.interval);
    let isDone = false;
    let isReading = false;
    let isStale = false;
    let wasSeen = false;
    let poll: unknown;
    let timer: unknown;
    const reader = this.#source.events(id).getReader();
    const end = (settle: () => void) => {
      if (isDone) return;
      isDone = true;
      clock.clearTimeout(timer);
      clock.clearTimeout(poll);
      signal?.removeEventListener("abort", onAbort);
      this.#remove(id, waiter);
      reader.cancel().catch(() => {});
      settle();
    };
    const read = async (): Promise<void> => {
      if (isDone) return;
      if (isReading) return void (isStale = true);
      isReading = true;
      try {
        do {
          isStale = false;
          const job = await this.#source.get(id);
          if (isDone) return;
          if (!job) {
            const why = wasSeen ? "it was removed" : "it does not exist";
            return end(() =>
              reject(new TypeError(`Cannot wait for job as ${why}: current value is ${show(id)}`))
            );
          }
          wasSeen = true;
          if (isFinalStatus(job.status)) return end(() => resolve(job));
        } while (isStale);
      } catch (error) {
        end(() => reject(error));
      } finally {
        isReading = false;
      }
    };
    const schedulePoll = () => {
      poll = clock.setTimeout(() => void read().then(() => isDone || schedulePoll()), interval);
    };
    const onAbort = () => end(() => reject(abortReason(signal!)));
    if (timeout !== undefined) {
      const message = `Timed out after ${timeout} ms waiting for job ${id}`;
      timer = clock.setTimeout(
        () => end(() => reject(new DOMException(message, "TimeoutError"))),
        timeout,
      );
    }
    const waiter: Waiter = {
      nudge: () => void read(),
      close: (reason) => end(() => reject(reason)),
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    let set = this.#waiters.get(id);
    if (!set) this.#waiters.set(id, set = new Set());
    set.add(waiter);
    (async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done || isDone) return;
        if (isFinalEvent(value)) void read();
      }
    })().catch(() => {});
    void read();
    schedulePoll();
  }

  #remove(id: string, waiter: Waiter): void {
    const set = this.#waiters.get(id);
    set?.delete(waiter);
    if (set?.size === 0) this.#waiters.delete(id);
  }
}
