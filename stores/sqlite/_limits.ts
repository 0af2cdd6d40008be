/**
 * Task limits inside a claim: how many jobs of a limited task the claim may lease, the start
 * times it records for rate windows, and when a full window reopens. Private to the claim.
 * @module
 */

import {
  type ClaimRequest,
  type LeasedJob,
  RATE_KEEP_WINDOWS,
  type TaskLimits,
} from "../../src/store.ts";
import type { Arm } from "./_claim.ts";
import type { Statements } from "./_statements.ts";

/*
 * How the limits are counted, for every process on the file: the claim that names a limited
 * task runs in a `BEGIN IMMEDIATE` transaction, so between reading the counts below and
 * recording its own starts no other process can claim.
 * - rate: `rate_starts` holds one row per start of a rate-limited task. A start counts while
 *   it is after `now - per` (a sliding window, one start at a time); rows older than two
 *   windows are deleted by the next claim of the task (see `RATE_KEEP_WINDOWS`), so the
 *   table holds about `2 × max` rows a task. A full window reopens when the oldest start that must leave does.
 * - concurrency: the task's `processing` jobs, counted from `jobs_status` (at most `n` rows).
 * A task held back is skipped, never waited for: its arm takes nothing and the other arms go
 * on in their usual order.
 */

/** What one claim may take of each limited task. */
export class ClaimGate {
  #statements: Statements;
  #now: number;
  #limits: Readonly<Record<string, TaskLimits>>;
  /** Jobs each limited, unpaused task may still start; a paused one is absent (takes 0). */
  #allowed = new Map<string, number>();
  /** Starts in each rate-limited task's window before this claim. */
  #inWindow = new Map<string, number>();
  /** Limited tasks this claim passes over: paused ones (by task or tag). */
  #paused = new Set<string>();
  /** Jobs leased per task by this claim. */
  #started = new Map<string, number>();

  /** Reads the paused set and every limited task's counts (inside the claim's transaction). */
  constructor(statements: Statements, request: ClaimRequest, arms: readonly Arm[]) {
    this.#statements = statements;
    this.#now = request.now;
    this.#limits = request.limits ?? {};
    const paused = statements.get("SELECT kind, name FROM paused").all() as {
      kind: string;
      name: string;
    }[];
    const pausedNames = new Set(paused.map(({ kind, name }) => `${kind}:${name}`));
    for (const { task, group } of arms) {
      const limits = this.#limits[task];
      if (!limits) continue;
      const tag = request.tags?.[group];
      if (pausedNames.has(`task:${task}`) || (tag !== undefined && pausedNames.has(`tag:${tag}`))) {
        this.#paused.add(task);
        continue;
      }
      let allowed = Infinity;
      if (limits.rate) {
        const starts = this.#window(task, limits.rate.per);
        this.#inWindow.set(task, starts);
        allowed = limits.rate.max - starts;
      }
      if (limits.concurrency !== undefined) {
        const { n } = statements.get(
          "SELECT count(*) AS n FROM jobs WHERE status = 'processing' AND task = ?",
        ).get(task) as { n: number };
        allowed = Math.min(allowed, limits.concurrency - n);
      }
      this.#allowed.set(task, Math.max(0, allowed));
    }
  }

  /** How many jobs of `task` the claim may lease (`undefined`: no limit). */
  allowance(task: string): number | undefined {
    if (this.#paused.has(task)) return 0;
    return this.#allowed.get(task);
  }

  /** Records a start per leased job of a rate-limited task. */
  record(jobs: readonly LeasedJob[]): void {
    const insert = this.#statements.get("INSERT INTO rate_starts (task, time) VALUES (?, ?)");
    for (const { task } of jobs) {
      this.#started.set(task, (this.#started.get(task) ?? 0) + 1);
      if (this.#limits[task]?.rate) insert.run(task, this.#now);
    }
  }

  /**
   * The earliest time a full rate window of a task with a ready job left reopens. A task held
   * back by concurrency has no time: the settle that frees a slot wakes its task.
   */
  next(): number | undefined {
    let next: number | undefined;
    for (const [task, before] of this.#inWindow) {
      const { max, per } = this.#limits[task].rate!;
      const starts = before + (this.#started.get(task) ?? 0);
      // A max of 0 (the core allows none, the contract does not forbid it) never reopens.
      if (max < 1 || starts < max || !this.#hasReady(task)) continue;
      const { time } = this.#statements.get(
        "SELECT time FROM rate_starts WHERE task = ? AND time > ? ORDER BY time LIMIT 1 OFFSET ?",
      ).get(task, this.#now - per, starts - max) as { time: number };
      if (next === undefined || time + per < next) next = time + per;
    }
    return next;
  }

  /**
   * Counts the task's starts after `now - per` (a later claim's included), dropping those
   * older than {@linkcode RATE_KEEP_WINDOWS} windows, which a claim that arrives late may
   * still need.
   */
  #window(task: string, per: number): number {
    this.#statements.get("DELETE FROM rate_starts WHERE task = ? AND time <= ?").run(
      task,
      this.#now - RATE_KEEP_WINDOWS * per,
    );
    const { n } = this.#statements.get(
      "SELECT count(*) AS n FROM rate_starts WHERE task = ? AND time > ?",
    ).get(task, this.#now - per) as { n: number };
    return n;
  }

  /** Whether a job of `task` is ready now (it was held back, not missing). */
  #hasReady(task: string): boolean {
    return this.#statements.get(
      `SELECT 1 FROM jobs INDEXED BY jobs_ready WHERE task = ? AND status IN ('queued', 'delayed')
         AND (status = 'queued' OR ready_at <= ?) LIMIT 1`,
    ).get(task, this.#now) !== undefined;
  }
}
