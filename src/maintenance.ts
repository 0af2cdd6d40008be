/**
 * A processor's housekeeping beside its claim loop: renewing the leases of its running jobs,
 * recovering the jobs of crashed workers, and the heartbeat that lists the worker and its
 * tasks in the store.
 *
 * - While jobs run, a timer fires every third of a lease: renew every running lease with the
 *   log lines and progress its run wrote since the last renewal (a lost lease aborts its run
 *   and writes nothing), recover expired leases, beat, and sweep expired finished jobs when a
 *   sweep is due (see `retention.ts`).
 * - While the processor idles, its loop calls {@linkcode Maintenance.idle} instead, which
 *   recovers and beats at most once per third of a lease (a worker fed one job at a time would
 *   otherwise recover after every job) and sweeps when due.
 *
 * @module
 */

import type { JobRun } from "./job_run.ts";
import type { ProcessorHost, ProcessorOptions } from "./processor_host.ts";
import { hostname, pid } from "./runtime.ts";
import type { WorkerRecord } from "./store.ts";

/** What maintenance needs to know about its processor. */
export interface MaintainedProcessor {
  readonly worker: string;
  readonly tags: readonly string[];
  /** The runs whose leases to renew. */
  running(): Iterable<JobRun>;
}

/** Lease renewal, recovery and heartbeat for one processor. */
export class Maintenance {
  #host: ProcessorHost;
  #options: ProcessorOptions;
  #processor: MaintainedProcessor;
  #started: number;
  #timer?: unknown;
  #maintaining?: Promise<void>;
  #beaten = -Infinity;
  #recovered = -Infinity;

  /** @param processor the processor whose runs and worker record are maintained */
  constructor(host: ProcessorHost, options: ProcessorOptions, processor: MaintainedProcessor) {
    this.#host = host;
    this.#options = options;
    this.#processor = processor;
    this.#started = host.clock.now();
  }

  /** A third of a lease: how often leases are renewed, and how stale a recovery may get. */
  get #every(): number {
    return Math.max(10, Math.floor(this.#options.lease / 3));
  }

  /**
   * The idle loop's share: recovers and beats when a third of a lease has passed since the
   * last time. Rejects when recovery fails (the loop backs off); a failed heartbeat is only
   * reported.
   */
  async idle(now: number): Promise<void> {
    if (now - this.#recovered >= this.#options.lease / 3) await this.#recover(now);
    if (now - this.#beaten >= this.#options.lease / 3) await this.heartbeat();
    await this.#host.sweep();
  }

  /** Starts the renewal timer, unless it is already set or nothing runs. */
  schedule(): void {
    if (this.#timer !== undefined || this.#isIdle()) return;
    this.#timer = this.#host.clock.setTimeout(() => {
      this.#maintaining = this.#maintain().catch((error) => this.#host.reportError(error)).then(
        () => {
          this.#maintaining = this.#timer = undefined;
          this.schedule();
        },
      );
    }, this.#every);
  }

  /** Clears the timer and waits for a round in progress. */
  async stop(): Promise<void> {
    this.#host.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#maintaining;
  }

  /** Records this worker and its task definitions, so tools elsewhere know them. */
  async heartbeat(): Promise<void> {
    const { store, clock } = this.#host;
    if (!store.heartbeat) return;
    const tags = this.#processor.tags;
    const record: WorkerRecord = {
      id: this.#processor.worker,
      tags: [...tags],
      tasks: [...this.#host.plan(tags).tasks.values()].map((task) => ({
        name: task.name,
        ...task.config,
      })),
      host: hostname(),
      pid: pid(),
      started: this.#started,
      seen: clock.now(),
    };
    this.#beaten = record.seen;
    try {
      await store.heartbeat(record, Math.max(this.#options.lease, 10_000) * 2);
    } catch (error) {
      this.#host.reportError(error);
    }
  }

  #isIdle(): boolean {
    for (const _ of this.#processor.running()) return false;
    return true;
  }

  async #recover(now: number): Promise<void> {
    this.#recovered = now;
    const recovered = await this.#host.store.recover(now);
    for (const job of recovered) this.#host.emitEvent({ type: "stalled", job, time: now });
  }

  async #maintain(): Promise<void> {
    const { store, clock } = this.#host;
    const runs = [...this.#processor.running()].filter((run) => !run.isOver);
    if (runs.length > 0) {
      // Each lease carries its run's new log lines: written only while the token holds.
      const leases = runs.map((run) => run.startFlush());
      let kept: boolean[] = [];
      try {
        kept = await store.renew(leases, this.#options.lease, clock.now());
      } finally {
        // A failed call keeps the lines for the next renewal or the settle.
        runs.forEach((run, i) => run.endFlush(kept[i] === true));
      }
      kept.forEach((isKept, i) => isKept || runs[i].abort("lease"));
    }
    await this.#recover(clock.now());
    await this.heartbeat();
    await this.#host.sweep();
  }
}
