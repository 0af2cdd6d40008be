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
 * - A maintenance timer renews the leases of running jobs (a lost lease aborts the run) and
 *   recovers expired leases of crashed workers; an idle loop recovers too, at most once per
 *   third of a lease.
 * - Store errors never end the loop: they are reported as `error` and retried with backoff.
 *   An unsettled outcome is kept and retried; if its lease expires meanwhile, another worker
 *   reruns the job (at-least-once delivery).
 *
 * @module
 */

import { sleep } from "./clock.ts";
import { type AbortCause, JobRun, type RunResult } from "./job_run.ts";
import { outcomeEvent, settlementFor } from "./outcome.ts";
import type { Job } from "./job.ts";
import type { ClaimRequest, ClaimResult, LeasedJob, Settlement, WorkerRecord } from "./store.ts";
import { hostname, pid } from "./runtime.ts";
import { Alarm } from "./alarm.ts";
import type { ProcessorHost, ProcessorOptions } from "./processor_host.ts";

interface Finished {
  run: JobRun;
  result: RunResult;
  settlement: Settlement;
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
  #maintenance?: unknown;
  #maintaining?: Promise<void>;
  #loop: Promise<void>;
  #started: number;
  #beaten = -Infinity;
  #recovered = -Infinity;

  /** Use `queue.process()` rather than this constructor. */
  constructor(tags: readonly string[], host: ProcessorHost, options: ProcessorOptions) {
    this.tags = tags;
    this.#host = host;
    this.#options = options;
    this.worker = options.worker;
    this.#started = host.clock.now();
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
    await this.#heartbeat();
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
        // Every tag is empty: the only time the loop itself recovers and idles. Once per
        // third of a lease is enough (an idle wait lasts a lease at most): a worker fed one job
        // at a time would otherwise recover after every job. An idle worker also stays listed
        // by `kinetik tasks`: it beats as often.
        try {
          if (now - this.#recovered >= this.#options.lease / 3) await this.#recover(now);
          if (now - this.#beaten >= this.#options.lease / 3) await this.#heartbeat();
        } catch (error) {
          this.#fail(error);
          continue;
        }
        this.#host.emitEmpty([...this.tags]);
        await this.#alarm.wait(
          Math.min(this.#options.interval, this.#due(now), this.#options.lease),
        );
        this.#isDrained = false;
      }
    }
    this.#host.clock.clearTimeout(this.#maintenance);
    await this.#maintaining;
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

  #start(job: LeasedJob): void {
    const task = this.#host.plan(this.tags).tasks.get(job.task);
    if (!task) return; // Defined away since the claim; its lease will expire and requeue it.
    const run = new JobRun(job, task, this.#host.clock, {
      onLog: (run, line) =>
        this.#host.emitEvent({ type: "log", job: run.job, time: line.time, line }),
      onProgress: (run, progress) =>
        this.#host.emitEvent({
          type: "progress",
          job: run.job,
          time: this.#host.clock.now(),
          progress,
        }),
    });
    this.#running.set(job.id, run);
    this.#host.runs.set(job.id, run);
    this.#scheduleMaintenance();
    run.note(`Started (attempt ${job.attempts})`);
    this.#host.emitEvent({ type: "started", job, time: job.started ?? this.#host.clock.now() });
    run.execute().then((result) => this.#finish(run, result));
  }

  #finish(run: JobRun, result: RunResult): void {
    this.#running.delete(run.job.id);
    if (this.#host.runs.get(run.job.id) === run) this.#host.runs.delete(run.job.id);
    if (this.#running.size === 0) this.#onDrained.splice(0).forEach((resolve) => resolve());
    if (result.kind === "aborted" && result.cause !== "shutdown") {
      this.#abandon(run, result.cause);
    } else {
      const settlement = settlementFor(run, result, this.#host.clock.now());
      this.#finished.push({ run, result, settlement });
    }
    this.wake();
  }

  /** A cancelled run, or one whose lease was lost: its outcome is not ours to write. */
  #abandon(run: JobRun, cause: Exclude<AbortCause, "shutdown">): void {
    run.note(
      cause === "cancel"
        ? "Run stopped: the job was cancelled"
        : "Run abandoned: the lease was lost",
    );
    this.#host.store.appendLogs(run.job.id, run.logs).catch((error) =>
      this.#host.reportError(error)
    );
  }

  /** Emits the events of a settled run, after the store committed them. */
  #announce({ run, result, settlement }: Finished, job: Job | undefined): void {
    if (!job) {
      this.#host.store.appendLogs(run.job.id, [
        ...run.logs,
        { time: settlement.now, message: "Outcome refused: the job changed while it ran" },
      ]).catch((error) => this.#host.reportError(error));
      return;
    }
    const announced = outcomeEvent(settlement, job, result);
    if (announced) this.#host.emitEvent(announced.event, announced.error);
  }

  async #recover(now: number): Promise<void> {
    this.#recovered = now;
    const recovered = await this.#host.store.recover(now);
    for (const job of recovered) this.#host.emitEvent({ type: "stalled", job, time: now });
  }

  /**
   * While jobs run, every third of a lease: renew their leases, recover crashed workers' jobs
   * and refresh the heartbeat. (An idle processor recovers each time it wakes instead.)
   */
  #scheduleMaintenance(): void {
    if (this.#maintenance !== undefined || this.#running.size === 0) return;
    const every = Math.max(10, Math.floor(this.#options.lease / 3));
    this.#maintenance = this.#host.clock.setTimeout(() => {
      this.#maintaining = this.#maintain().catch((error) => this.#host.reportError(error)).then(
        () => {
          this.#maintaining = this.#maintenance = undefined;
          this.#scheduleMaintenance();
        },
      );
    }, every);
  }

  async #maintain(): Promise<void> {
    const { store, clock } = this.#host;
    const runs = [...this.#running.values()].filter((run) => !run.isOver);
    if (runs.length > 0) {
      const kept = await store.renew(
        runs.map((r) => ({ id: r.job.id, token: r.job.token })),
        this.#options.lease,
        clock.now(),
      );
      kept.forEach((isKept, i) => isKept || runs[i].abort("lease"));
    }
    await this.#recover(clock.now());
    await this.#heartbeat();
  }

  /** Records this worker and its task definitions, so tools elsewhere know them. */
  async #heartbeat(): Promise<void> {
    const { store, clock } = this.#host;
    if (!store.heartbeat) return;
    const record: WorkerRecord = {
      id: this.worker,
      tags: [...this.tags],
      tasks: [...this.#host.plan(this.tags).tasks.values()].map((task) => ({
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
}
