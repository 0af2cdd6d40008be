/**
 * The tasks defined on a queue: what processors can run (cached as claim plans per tag list)
 * and where job events become the seed's task events. @module
 */

import type { QueueEvent } from "./events.ts";
import { stallLimit, toError } from "./outcome.ts";
import type { ClaimPlan } from "./processor_host.ts";
import { Task, type TaskOwner } from "./task.ts";
import { claimLimits } from "./task_limits.ts";

const TASK_EVENTS = {
  started: "start",
  completed: "complete",
  timeout: "timeout",
  cancelled: "cancelled",
  retry: "retry",
} as const;

/** Task definitions by name, in definition order. */
export class TaskRegistry {
  readonly #tasks = new Map<string, Task>();
  readonly #plans = new Map<string, ClaimPlan>();
  /**
   * The same plans by the tags array a processor keeps: a processor asks once per claim and
   * per started job, and joining its tags into a key each time cost 3.5% of a four-tag run.
   */
  #plansByTags = new WeakMap<readonly string[], ClaimPlan>();
  readonly #owner: Omit<TaskOwner, "changed">;

  /** @param owner what each task reports errors to and opens its event stream from */
  constructor(owner: Omit<TaskOwner, "changed">) {
    this.#owner = owner;
  }

  /** The tasks by name. */
  get tasks(): ReadonlyMap<string, Task> {
    return this.#tasks;
  }

  /** Distinct tags, in definition order. */
  get tags(): string[] {
    return [...new Set([...this.#tasks.values()].map((task) => task.settings.tag))];
  }

  /** Each task's tag. */
  tagOf(): Map<string, string> {
    return new Map([...this.#tasks.values()].map((task) => [task.name, task.settings.tag]));
  }

  /** A new task (replacing one of the same name); the name is checked by the caller. */
  define(name: string): Task {
    const task = new Task(name, { ...this.#owner, changed: () => this.#forgetPlans() });
    this.#tasks.set(name, task);
    this.#forgetPlans();
    return task;
  }

  /** The tasks with an action in `tags`, grouped by tag in that order (cached). */
  plan(tags: readonly string[]): ClaimPlan {
    const known = this.#plansByTags.get(tags);
    if (known) return known;
    const key = tags.join("\0");
    let plan = this.#plans.get(key);
    if (!plan) {
      const runnable = [...this.#tasks.values()].filter((task) => task.handler);
      const groups = tags.map((tag) => runnable.filter((task) => task.settings.tag === tag));
      plan = {
        groups: groups.map((group) => group.map((task) => task.name)),
        tasks: new Map(groups.flat().map((task) => [task.name, task])),
        maxAttempts: Object.fromEntries(
          groups.flat().map((task) => [task.name, stallLimit(task.settings)]),
        ),
      };
      const limits = claimLimits(groups.flat());
      if (limits) plan.limits = limits;
      this.#plans.set(key, plan);
    }
    this.#plansByTags.set(tags, plan);
    return plan;
  }

  /** Drops the cached plans: a task was defined or changed. */
  #forgetPlans(): void {
    this.#plans.clear();
    this.#plansByTags = new WeakMap();
  }

  /**
   * Emits a job event on its task under the seed's name, when the task is defined here;
   * `error` is the original error of a failure in this process.
   */
  dispatch(event: QueueEvent, error?: unknown): void {
    const task = this.#tasks.get(event.job.task);
    if (!task) return;
    switch (event.type) {
      case "log":
        task.emit("log", event.job, event.line!);
        return;
      case "progress":
        task.emit("progress", event.job, event.progress!.current, event.progress!.total);
        return;
      case "failed":
        task.emit("fail", error instanceof Error ? error : toError(event.error), event.job);
        return;
      case "created":
      case "stalled":
        return;
      default:
        task.emit(TASK_EVENTS[event.type], event.job);
    }
  }
}
