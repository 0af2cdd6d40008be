/**
 * The processor: the loop that drains a list of tags in priority order.
 *
 * State machine, one loop per processor:
 *
 * ```
 *   ┌─▶ settle finished runs (+ claim for free slots, one store call) ──▶ start claimed runs ─┐
 *   │        or claim for free slots                                                      │
 *   │   nothing ready, nothing running: emit "empty", idle until wake / next due / interval │
 *   │   slots full or nothing ready: wait until a run finishes or new work is signalled     │
 *   └────────────────────────────────────────────────────────────────────────────────────────┘
 * ```
 *
 * - Every claim lists all the processor's tags in order, so after each job the processor
 *   starts again from the first tag (the seed's rule), and it only idles when every tag is
 *   empty.
 * - Runs finish in any order; their outcomes queue up and the next turn settles them as one
 *   batch, together with the claim that refills the free slots. At concurrency 1 that is one
 *   store call per job; at concurrency 50 one call settles and refills many.
 * - A store with `maxInFlight` 2 (a network store) gets up to two such calls at once, each
 *   with half the slots: the server runs one while this process handles the other's jobs.
 *   Slots promised to a call in flight are not claimed twice, and a claim that comes back
 *   short marks the tags drained unless a wake-up arrived meanwhile.
 * - Maintenance (`maintenance.ts`) renews the leases of running jobs (a lost lease aborts the
 *   run) and recovers expired leases of crashed workers; an idle loop recovers too, at most
 *   once per third of a lease. Both run the queue's retention sweep when it is due.
 * - Each settled run is counted for the metrics (`metrics_recorder.ts`), which reach the store
 *   in batches every few seconds and when the loop ends.
 * - Store errors never end the loop: they are reported as `error` and retried with backoff.
 *   An unsettled outcome is kept and retried; if its lease expires meanwhile, another worker
 *   reruns the job (at-least-once delivery).
 *
 * @module
 */

import { sleep } from "./clock.ts";
import { JobRun, type RunListener, type RunResult } from "./job_run.ts";
import { isOwnOutcome, outcomeEvent, settlementFor } from "./outcome.ts";
import type { Job } from "./job.ts";
import type { ClaimRequest, ClaimResult, LeasedJob, Settlement } from "./store.ts";
import { Alarm } from "./alarm.ts";
import { Maintenance } from "./maintenance.ts";
import type { ProcessorHost, ProcessorOptions } from "./processor_host.ts";
import type { RunEnd } from "./queue_hooks.ts";

/** "Started (attempt N)" for the first attempts, each text made once (see `startedText`). */
const STARTED_TEXTS = Array.from({ length: 10 }, (_, i) => `Started (attempt ${i})`);

/** A run's first line; a finished job keeps it, so most jobs share one string. */
function startedText(attempt: number): string {
  return STARTED_TEXTS[attempt] ?? `Started (attempt ${attempt})`;
}

interface Finished {
  run: JobRun;
  result: RunResult;
  settlement: Settlement;
  /** An earlier settle of it failed: the store may have applied it and lost the reply. */
  isRetried?: boolean;
}

/** A running processor, as `queue.process()` returns it. */
export class Processor {
  /** The tags it drains, in priority order. */
  readonly tags: readonly string[];
  /** The worker id recorded on the jobs it claims. */
  readonly worker: string;
  #host: ProcessorHost;
  #options: ProcessorOptions;
  #running = new Map<string, JobRun>();
  #finished: Finished[] = [];
  #isStopping = false;
  /** Store calls a turn may keep in flight together (see `Store.maxInFlight`). */
  #lanes: number;
  /** Store calls in flight, and the slots their claims asked for. */
  #calls = 0;
  #reserved = 0;
  /** The latest claim found fewer ready jobs than it asked for: claim again when woken. */
  #isDrained = false;
  /** When more may become claimable (a delayed job's `runAt`, a rate window reopening). */
  #nextDue?: number;
  /** Counts wake-ups, so a claim that was out during one does not mark the tags drained. */
  #wakes = 0;
  #failures = 0;
  #pausedUntil = -Infinity;
  /** The loop's wait: ended early by new work, a run's end or a store call's return. */
  #alarm: Alarm;
  #onDrained: (() => void)[] = [];
  #maintenance: Maintenance;
  #loop: Promise<void>;

  /** Use `queue.process()` rather than this constructor. */
  constructor(tags: readonly string[], host: ProcessorHost, options: ProcessorOptions) {
    this.tags = tags;
    this.#host = host;
    this.#options = options;
    this.worker = options.worker;
    this.#maintenance = new Maintenance(host, options, {
      worker: this.worker,
      tags,
      running: () => this.#running.values(),
    });
    this.#alarm = new Alarm(host.clock);
    this.#lanes = Math.max(1, Math.min(host.store.maxInFlight ?? 1, options.concurrency));
    this.#loop = this.#run();
  }

  /** How many jobs are running now. */
  get running(): number {
    return this.#running.size;
  }

  /** Whether the processor handles jobs of `task`. */
  handles(task: string): boolean {
    return this.#host.plan(this.tags).tasks.has(task);
  }

  /** Ends an idle wait at once: there may be new work. */
  wake(): void {
    this.#wakes++;
    this.#isDrained = false;
    this.#alarm.kick();
  }

  /**
   * Stops gracefully: claims nothing more, lets running jobs finish for up to `grace` ms,
   * then aborts the rest and gives them back to the queue for another worker.
   */
  async stop(options: { grace?: number } = {}): Promise<void> {
    if (!this.#isStopping) {
      this.#isStopping = true;
      this.wake();
      if (this.#running.size > 0) {
        const timeout = new AbortController();
        const drained = new Promise<void>((resolve) => this.#onDrained.push(resolve));
        await Promise.race([
          drained,
          sleep(this.#host.clock, options.grace ?? this.#options.grace, timeout.signal),
        ]);
        timeout.abort();
      }
      for (const run of this.#running.values()) run.abort("shutdown");
      this.wake();
    }
    await this.#loop;
  }

  /** `await using processor = queue.process(…)` stops it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }

  async #run(): Promise<void> {
    await this.#maintenance.heartbeat();
    while (
      !this.#isStopping || this.#running.size > 0 || this.#finished.length > 0 || this.#calls > 0
    ) {
      while (this.#calls < this.#lanes && this.#hasTurn()) this.#startTurn();
      const now = this.#host.clock.now();
      const paused = Math.max(0, this.#pausedUntil - now);
      if (this.#calls > 0 || this.#running.size > 0 || this.#finished.length > 0) {
        // Runs or store calls are going: wait for one to end, which always kicks the loop.
        // Only free slots on drained tags need a timer too, to look again after interval.
        const needsTimer = paused > 0 ||
          (this.#calls === 0 && this.#free() > 0 && !this.#isStopping);
        const ms = paused > 0 ? paused : Math.min(this.#due(now), this.#options.interval);
        if (await this.#alarm.wait(needsTimer ? ms : Infinity)) this.#isDrained = false;
      } else if (this.#isStopping) {
        break; // nothing left: no wake-up may come (a store without messages, say)
      } else if (paused > 0) {
        await this.#alarm.wait(paused);
      } else {
        // Every tag is empty: the only time the loop itself recovers and idles (an idle wait
        // lasts a lease at most). An idle worker also stays listed by `kinetik tasks`.
        try {
          await this.#maintenance.idle(now);
        } catch (error) {
          this.#fail(error);
          continue;
        }
        this.#host.emitEmpty([...this.tags]);
        // A sweep that is behind is due at once: it goes on after one more claim.
        const sweep = this.#host.sweepDue(this.#host.clock.now());
        const until = now +
          Math.min(this.#options.interval, this.#due(now), this.#options.lease, sweep);
        // New work un-drains the tags (wake()); a kick left over from two store calls that
        // returned together is no reason to claim again, or the loop spins on an idle store.
        while (
          !(await this.#alarm.wait(Math.max(0, until - this.#host.clock.now()))) &&
          this.#isDrained
        );
        this.#isDrained = false;
      }
    }
    await this.#maintenance.stop();
    await this.#host.metrics?.flush();
    this.#host.stopped?.();
  }

  /** Whether a store call is due: outcomes to settle, or free slots and maybe ready jobs. */
  #hasTurn(): boolean {
    if (this.#host.clock.now() < this.#pausedUntil) return false;
    if (this.#finished.length > 0) return true;
    if (this.#isStopping || this.#isDrained) return false;
    return this.#free() > 0 && this.#host.plan(this.tags).tasks.size > 0;
  }

  /** Slots neither running a job nor promised to a claim in flight. */
  #free(): number {
    return this.#options.concurrency - this.#running.size - this.#reserved;
  }

  /** How long until the earliest delayed job the latest short claim reported is due. */
  #due(now: number): number {
    if (!this.#isDrained || this.#nextDue === undefined) return Infinity;
    return Math.max(0, this.#nextDue - now);
  }

  /**
   * Starts one store call in the background: settle finished runs (at most one lane's
   * share) and claim for free slots, then start what was claimed. A claim that comes back
   * short marks the tags drained until new work is signalled or the wait for it times out.
   */
  #startTurn(): void {
    const share = this.#lanes === 1 ? Infinity : Math.ceil(this.#options.concurrency / this.#lanes);
    const batch = this.#finished.splice(0, share);
    const limit = this.#isStopping ? 0 : Math.min(this.#free(), share);
    const request = limit > 0 && (batch.length > 0 || !this.#isDrained)
      ? this.#claimRequest(limit)
      : undefined;
    this.#turn(batch, request);
  }

  /** One store call: settles `batch` and claims with `request`; starts the claimed runs. */
  async #turn(batch: Finished[], request: ClaimRequest | undefined): Promise<void> {
    const reserved = request?.limit ?? 0;
    const wakes = this.#wakes;
    this.#calls++;
    this.#reserved += reserved;
    try {
      let claimed: ClaimResult = { jobs: [] };
      if (batch.length > 0) {
        const result = await this.#host.store.settle(batch.map((f) => f.settlement), request);
        batch.forEach((finished, i) => this.#announce(finished, result.jobs[i]));
        claimed = result.claimed;
      } else if (request) {
        claimed = await this.#host.store.claim(request);
      }
      this.#failures = 0;
      this.#reserved -= reserved;
      for (const job of claimed.jobs) this.#start(job);
      if (request && claimed.jobs.length < request.limit) {
        // A wake-up while the call was out may announce jobs the claim did not see.
        if (this.#wakes === wakes) this.#isDrained = true;
        this.#nextDue = claimed.next;
      }
    } catch (error) {
      this.#reserved -= reserved;
      // Shutting down with the store unreachable: what is unsettled is recovered by another
      // worker when its lease expires. Otherwise the outcomes are kept for the next turn.
      for (const finished of batch) finished.isRetried = true;
      if (!this.#isStopping) this.#finished = batch.concat(this.#finished);
      this.#fail(error);
    } finally {
      this.#calls--;
      this.#alarm.kick();
    }
  }

  /** Reports a failed store call and pauses store calls with backoff. */
  #fail(error: unknown): void {
    this.#host.reportError(error);
    this.#failures++;
    const backoff = Math.min(this.#options.interval, 100 * 2 ** Math.min(this.#failures, 6));
    this.#pausedUntil = this.#host.clock.now() + backoff;
  }

  #claimRequest(limit: number): ClaimRequest | undefined {
    const { groups, tasks, maxAttempts, limits } = this.#host.plan(this.tags);
    if (tasks.size === 0) return undefined;
    return {
      groups,
      limit,
      worker: this.worker,
      leaseMs: this.#options.lease,
      now: this.#host.clock.now(),
      maxAttempts,
      tags: this.tags, // groups[i] holds the tasks of tags[i]: the store skips paused tags
      ...(limits && { limits }),
    };
  }

  /** What every run of this processor reports to: one object, not one per job. */
  #runListener: RunListener = {
    onLog: (run, line) =>
      this.#host.emitEvent({ type: "log", job: run.job, time: line.time, line }),
    onProgress: (run, progress) =>
      this.#host.emitEvent({
        type: "progress",
        job: run.job,
        time: this.#host.clock.now(),
        progress,
      }),
  };

  #start(job: LeasedJob): void {
    const task = this.#host.plan(this.tags).tasks.get(job.task);
    if (!task) return; // Defined away since the claim; its lease will expire and requeue it.
    const run = new JobRun(job, task, this.#host.clock, this.#runListener);
    this.#running.set(job.id, run);
    this.#host.runs.set(job.id, run);
    this.#maintenance.schedule();
    run.note(startedText(job.attempts));
    this.#host.emitEvent({ type: "started", job, time: job.started ?? this.#host.clock.now() });
    // The queue's aroundRun hooks (queue_hooks.ts) wrap the run; without any, nothing does.
    if (this.#host.hooks?.wrapsRuns) void this.#host.hooks.run(job, () => this.#execute(run));
    else void this.#execute(run);
  }

  #execute(run: JobRun): Promise<RunEnd> {
    return run.execute().then((result) => this.#finish(run, result));
  }

  /**
   * Queues a run's outcome for the next settle; returns how it ended, for the hooks. Not an
   * `async` function: without a renewal out it returns at once, saving a promise per job.
   */
  #finish(run: JobRun, result: RunResult): RunEnd | Promise<RunEnd> {
    // A renewal carrying this run's lines is out: wait for it, so the settle (or the
    // abandoned run's last append) writes exactly the lines the store does not have yet.
    const flushing = run.flushing;
    if (flushing) return flushing.then(() => this.#finish(run, result));
    this.#running.delete(run.job.id);
    if (this.#host.runs.get(run.job.id) === run) this.#host.runs.delete(run.job.id);
    if (this.#running.size === 0) this.#onDrained.splice(0).forEach((resolve) => resolve());
    let end: RunEnd;
    if (result.kind === "aborted" && result.cause !== "shutdown") {
      // Cancelled, or the lease was lost: the outcome is not ours to write.
      const cancelled = result.cause === "cancel";
      this.#keepLines(
        run,
        cancelled ? "Run stopped: the job was cancelled" : "Run abandoned: the lease was lost",
      );
      end = { outcome: cancelled ? "cancelled" : "abandoned" };
    } else {
      const settlement = settlementFor(run, result, this.#host.clock.now());
      this.#finished.push({ run, result, settlement });
      end = settlement.error
        ? { outcome: settlement.outcome, error: settlement.error }
        : { outcome: settlement.outcome };
    }
    this.wake();
    return end;
  }

  /** Stores the lines of a run whose outcome is not written, ending with why. */
  #keepLines(run: JobRun, message: string): void {
    run.note(message);
    this.#host.store.appendLogs(run.job.id, run.logs).catch((e) => this.#host.reportError(e));
  }

  /** Counts a settled run for the metrics and emits its events, after the store committed them. */
  #announce(finished: Finished, job: Job | undefined): void {
    if (!job) return void this.#refused(finished);
    const { settlement, run } = finished;
    const started = run.job.started ?? settlement.now;
    this.#host.metrics?.record(
      job.task,
      settlement.outcome,
      settlement.now,
      settlement.now - started,
    );
    const announced = outcomeEvent(finished.settlement, job, finished.result);
    if (announced) this.#host.emitEvent(announced.event, announced.error);
  }

  /**
   * A refused outcome: the job changed while it ran (cancelled, taken over). Or, for a retried
   * settle, the first try was applied and only its reply lost: the record shows this outcome.
   */
  async #refused(finished: Finished): Promise<void> {
    const { run, settlement } = finished;
    const stored = finished.isRetried && await this.#host.store.get(run.job.id).catch(() => {});
    if (stored && isOwnOutcome(settlement, run.job, stored)) this.#announce(finished, stored);
    else this.#keepLines(run, "Outcome refused: the job changed while it ran");
  }
}
