/**
 * The memory store's claim control: the paused tags and tasks, the rate windows of limited
 * tasks, and the gate one claim passes its candidates through. Private to
 * `stores/memory.ts`. @module
 */

import { type ClaimRequest, type PauseTarget, RATE_KEEP_WINDOWS } from "../src/store.ts";

/*
 * How the limits are counted, for every worker on the store (they all claim through here):
 * - rate: each task with a rate limit keeps the start times of its claims, oldest first; a
 *   start counts while it is in the window `(now - per, now]`, so a window slides one start
 *   at a time rather than resetting on a calendar boundary. A task whose window is full is
 *   held back and the claim reports when the oldest start it needs to lose leaves the window.
 * - concurrency: the task's `processing` count, which the job table keeps anyway.
 * A held-back task is skipped, never waited for: the claim goes on with the other tasks of
 * the group in their usual order.
 */

/** Where a claim's gate reads how many jobs of a task are processing. */
export interface ProcessingCounts {
  processingOf(task: string): number;
}

/** Paused tags and tasks, and the rate windows of limited tasks. */
export class ClaimControl {
  #tags = new Set<string>();
  #tasks = new Set<string>();
  /** Start times of claims of rate-limited tasks, ascending. */
  #starts = new Map<string, number[]>();

  /** Adds to the paused set. */
  pause(target: PauseTarget): void {
    for (const tag of target.tags) this.#tags.add(tag);
    for (const task of target.tasks) this.#tasks.add(task);
  }

  /** Removes from the paused set. */
  resume(target: PauseTarget): void {
    for (const tag of target.tags) this.#tags.delete(tag);
    for (const task of target.tasks) this.#tasks.delete(task);
  }

  /** The paused set, as fresh arrays. */
  paused(): PauseTarget {
    return { tags: [...this.#tags], tasks: [...this.#tasks] };
  }

  /**
   * The gate of one claim, or `undefined` when nothing is paused and no task is limited, so
   * unlimited, unpaused work pays nothing.
   *
   * @param request the claim
   * @param table where the claim counts how many jobs of a task are processing now
   */
  gate(request: ClaimRequest, table: ProcessingCounts): ClaimGate | undefined {
    if (this.#tags.size === 0 && this.#tasks.size === 0 && !request.limits) return undefined;
    return new ClaimGate(request, this.#tags, this.#tasks, this.#starts, table);
  }
}

/** What one claim may take. */
export class ClaimGate {
  /** The earliest time a rate window of a held-back task reopens. */
  next?: number;
  #request: ClaimRequest;
  #tags: ReadonlySet<string>;
  #tasks: ReadonlySet<string>;
  #starts: Map<string, number[]>;
  #table: ProcessingCounts;

  constructor(
    request: ClaimRequest,
    tags: ReadonlySet<string>,
    tasks: ReadonlySet<string>,
    starts: Map<string, number[]>,
    table: ProcessingCounts,
  ) {
    this.#request = request;
    this.#tags = tags;
    this.#tasks = tasks;
    this.#starts = starts;
    this.#table = table;
  }

  /** Whether group `i` is skipped: the claim names its tag and the tag is paused. */
  skipsGroup(i: number): boolean {
    const tag = this.#request.tags?.[i];
    return tag !== undefined && this.#tags.has(tag);
  }

  /** Whether a task is paused. */
  skipsTask(task: string): boolean {
    return this.#tasks.has(task);
  }

  /** How many more jobs of `task` this claim may start (`Infinity` without limits). */
  allowance(task: string): number {
    const limits = this.#request.limits?.[task];
    if (!limits) return Infinity;
    let allowed = Infinity;
    if (limits.rate) allowed = limits.rate.max - this.#window(task, limits.rate.per).length;
    if (limits.concurrency !== undefined) {
      allowed = Math.min(allowed, limits.concurrency - this.#table.processingOf(task));
    }
    return Math.max(0, allowed);
  }

  /** Records a start of `task` (call after leasing one of its jobs). */
  started(task: string): void {
    if (!this.#request.limits?.[task]?.rate) return;
    const now = this.#request.now;
    let starts = this.#starts.get(task);
    if (!starts) this.#starts.set(task, starts = []);
    let at = starts.length;
    while (at > 0 && starts[at - 1] > now) at--; // callers' clocks may differ a little
    starts.splice(at, 0, now);
  }

  /** A ready job of `task` is held back by its limits: note when its rate window reopens. */
  heldBack(task: string): void {
    const rate = this.#request.limits?.[task]?.rate;
    if (!rate) return;
    const starts = this.#window(task, rate.per);
    if (starts.length < rate.max) return; // held back by concurrency: a settle wakes it
    const reopens = starts[starts.length - rate.max] + rate.per;
    if (this.next === undefined || reopens < this.next) this.next = reopens;
  }

  /**
   * The task's starts after `now - per` (those of claims made later included), dropping
   * those older than two windows. Not one window: a claim made earlier can reach the store
   * after this one (`now` is the caller's), and the starts that left this window may still
   * be inside its own (see {@linkcode RATE_KEEP_WINDOWS}).
   */
  #window(task: string, per: number): number[] {
    const starts = this.#starts.get(task);
    if (!starts) return [];
    const now = this.#request.now;
    let old = 0;
    while (old < starts.length && starts[old] <= now - RATE_KEEP_WINDOWS * per) old++;
    if (old > 0) starts.splice(0, old);
    let first = 0;
    while (first < starts.length && starts[first] <= now - per) first++;
    return starts.slice(first);
  }
}
