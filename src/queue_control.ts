/**
 * The queue's control half (DESIGN §6.2): schedules, pause and resume, and the wake-ups that
 * rate and concurrency limits need. `Queue` delegates its `schedule`, `unschedule`,
 * `schedules`, `pause`, `resume` and `paused` here, and tells it when processors start and
 * stop: the schedule-firing loop runs while the queue has a running processor. @module
 */

import type { Clock } from "./clock.ts";
import type { QueueEvent } from "./events.ts";
import type { Job } from "./job.ts";
import { Scheduler } from "./schedules/scheduler.ts";
import {
  buildSchedule,
  type Schedule,
  type ScheduleSpec,
  scheduleView,
} from "./schedules/schedule_spec.ts";
import type { EventBus } from "./event_bus.ts";
import type { PauseTarget, Store } from "./store.ts";

/** What `pause()` and `resume()` take: a tag, or tags and tasks. */
export type PauseInput = string | {
  tags?: string | readonly string[];
  tasks?: string | readonly string[];
};

/** What the control half needs from its queue besides its store, clock and bus. */
export interface ControlHost {
  /** Wakes this queue's processors (all of them without a task). */
  wake(task?: string): void;
  /** Announces jobs a schedule fired here, as `create` does. */
  saved(jobs: Job[]): void;
  /** The global concurrency limit of a task defined here, if it has one. */
  concurrencyOf(task: string): number | undefined;
  reportError(error: unknown): void;
}

/** Events after which a job no longer holds a slot of its task's concurrency limit. */
const FREES_A_SLOT = new Set(["completed", "failed", "timeout", "retry", "cancelled", "stalled"]);

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

function names(value: unknown, what: string, action: string): string[] {
  const list = value === undefined ? [] : typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.some((name) => typeof name !== "string" || name === "")) {
    throw new TypeError(
      `Cannot ${action} as ${what} must be a non-empty string or an array of them: current value is ${
        show(value)
      }`,
    );
  }
  return [...new Set(list as string[])];
}

/**
 * A pause target from what `pause()`/`resume()` take.
 * @throws {TypeError} for anything but a tag string or `{ tags?, tasks? }` naming at least one
 */
export function pauseTarget(target: unknown, action: string): PauseTarget {
  if (typeof target === "string") return { tags: names(target, "a tag", action), tasks: [] };
  if (target === null || typeof target !== "object" || Array.isArray(target)) {
    throw new TypeError(
      `Cannot ${action} as the target must be a tag or { tags, tasks }: current value is ${
        show(target)
      }`,
    );
  }
  const { tags, tasks } = target as { tags?: unknown; tasks?: unknown };
  const result = { tags: names(tags, "tags", action), tasks: names(tasks, "tasks", action) };
  if (result.tags.length + result.tasks.length === 0) {
    throw new TypeError(
      `Cannot ${action} as the target names no tag or task: current value is ${show(target)}`,
    );
  }
  return result;
}

/** Schedules, pause and limits of one queue. */
export class QueueControl {
  #store: Store;
  #clock: Clock;
  #bus: Pick<EventBus, "publish">;
  #host: ControlHost;
  #scheduler?: Scheduler;
  /** The firing loop's end after the last processor stopped. */
  #stopping?: Promise<void>;
  #processors = 0;
  #freed = new Set<string>();

  /**
   * @param store the queue's store
   * @param clock the queue's clock
   * @param bus where messages to every process on the store go
   * @param host the queue's wake-ups and announcements
   */
  constructor(store: Store, clock: Clock, bus: Pick<EventBus, "publish">, host: ControlHost) {
    this.#store = store;
    this.#clock = clock;
    this.#bus = bus;
    this.#host = host;
  }

  /** Stores a schedule (idempotent for an unchanged spec) and tells every processor. */
  async schedule(id: string, spec: ScheduleSpec): Promise<Schedule> {
    const record = buildSchedule(id, spec, this.#clock.now());
    const stored = await this.#need("schedule", "schedules").schedule!(record);
    // A kept schedule has its own next; a new or changed one is news to every firing loop.
    if (stored.next === record.next) await this.#announceSchedules();
    return scheduleView(stored);
  }

  /** Deletes a schedule; `false` when there was none. */
  async unschedule(id: string): Promise<boolean> {
    if (typeof id !== "string" || id === "") {
      throw new TypeError(
        `Cannot unschedule as the id must be a non-empty string: current value is ${show(id)}`,
      );
    }
    const removed = await this.#need("unschedule", "schedules").unschedule!(id);
    if (removed) await this.#announceSchedules();
    return removed;
  }

  /** The stored schedules, by id. */
  async schedules(): Promise<Schedule[]> {
    return (await this.#need("list schedules", "schedules").schedules!()).map(scheduleView);
  }

  /** Pauses tags and tasks in the store: no processor anywhere claims their jobs. */
  async pause(target: PauseInput): Promise<void> {
    const paused = pauseTarget(target, "pause");
    await this.#need("pause", "pause").pause!(paused);
  }

  /** Resumes tags and tasks; the store wakes every processor, this queue's included. */
  async resume(target: PauseInput): Promise<void> {
    const resumed = pauseTarget(target, "resume");
    await this.#need("resume", "pause").resume!(resumed);
    this.#host.wake(); // the store wakes other processes; this one may have no subscription
  }

  /** The paused tags and tasks, sorted. */
  async paused(): Promise<PauseTarget> {
    const { tags, tasks } = await this.#need("read paused", "pause").paused!();
    return { tags: [...tags].sort(), tasks: [...tasks].sort() };
  }

  /** A processor started: fire schedules from now on (re-reading at least every `interval`). */
  processorStarted(interval: number): void {
    this.#processors++;
    if (this.#scheduler) this.#scheduler.shorten(interval);
    else if (Scheduler.supports(this.#store)) {
      this.#scheduler = new Scheduler({
        store: this.#store,
        clock: this.#clock,
        saved: (jobs) => this.#host.saved(jobs),
        reportError: (error) => this.#host.reportError(error),
      }, interval);
    }
  }

  /** A processor stopped: the last one ends the firing loop. */
  processorStopped(): void {
    if (--this.#processors > 0 || !this.#scheduler) return;
    const scheduler = this.#scheduler;
    this.#scheduler = undefined;
    this.#stopping = scheduler.stop().catch((error) => this.#host.reportError(error));
  }

  /** A wake-up arrived from the store; a task-less one may announce changed schedules. */
  woken(task?: string): void {
    this.#host.wake(task);
    if (task === undefined) this.#scheduler?.refresh();
  }

  /**
   * A job event of this process. When it freed a slot of a concurrency-limited task, every
   * processor waiting on that limit is woken (batched per task, once per microtask). A cancel
   * always wakes: the canceller (the CLI, say) need not know the task's limits.
   */
  observe(event: QueueEvent): void {
    if (!FREES_A_SLOT.has(event.type)) return;
    const task = event.job.task;
    if (event.type !== "cancelled" && this.#host.concurrencyOf(task) === undefined) return;
    if (this.#freed.size === 0) queueMicrotask(() => this.#wakeFreed());
    this.#freed.add(task);
  }

  /** Stops the firing loop (the queue is closing), and waits for a stop under way. */
  async close(): Promise<void> {
    const scheduler = this.#scheduler;
    this.#scheduler = undefined;
    await Promise.all([scheduler?.stop(), this.#stopping]);
  }

  #wakeFreed(): void {
    const tasks = [...this.#freed];
    this.#freed.clear();
    for (const task of tasks) {
      if (!this.#store.publish) this.#host.wake(task);
      else this.#bus.publish({ type: "wake", task }).catch((e) => this.#host.reportError(e));
    }
  }

  async #announceSchedules(): Promise<void> {
    this.#scheduler?.refresh();
    await this.#bus.publish({ type: "wake" }).catch((error) => this.#host.reportError(error));
  }

  /** The store, when it has the capability; else a clear error naming the store. */
  #need(action: string, capability: "schedules" | "pause"): Store {
    const store = this.#store;
    const verbs = capability === "schedules"
      ? [store.schedule, store.unschedule, store.schedules, store.fire]
      : [store.pause, store.resume, store.paused];
    if (verbs.some((verb) => typeof verb !== "function")) {
      throw new Error(
        `Cannot ${action} as the ${store.name} store does not support ${
          capability === "schedules" ? "schedules" : "pausing"
        }`,
      );
    }
    return store;
  }
}
