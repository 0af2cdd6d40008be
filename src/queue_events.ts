/**
 * The events a queue emits, with their listeners' arguments. @module
 */

import type { Job } from "./job.ts";
import type { Task } from "./task.ts";

/**
 * Events a queue emits (the seed's names, plus `stalled`), each with its listeners'
 * arguments. Job events (`completed`, `failed`, …) are not among them: listen on the task
 * (`task.on("complete")`) or read `queue.events()`. Any other name is a type error.
 *
 * @example Listening on a queue
 * ```ts
 * import { kinetik } from "@kinetik/kinetik";
 *
 * const queue = kinetik();
 * const heard: string[] = [];
 * queue.on("job:define", (job) => heard.push(`saved ${job.task}`));
 * queue.on("drain", () => heard.push("drain"));
 * await queue.create("send email", { to: "ford@example.com" });
 * if (heard.join() !== "saved send email,drain") throw new Error(heard.join());
 * await queue.close();
 * ```
 */
export interface QueueEvents {
  /** A store or listener error that no caller could be given; printed when nobody listens. */
  error: [error: unknown];
  /** No `create()` is waiting for the store any more. */
  drain: [];
  /** A processor found no ready job in any of its tags and goes idle. */
  empty: [tags: string[]];
  /** A job was saved (after the store confirmed it). */
  "job:define": [job: Job];
  /** `queue.define()` made a task. */
  "task:define": [task: Task];
  /** A job's lease expired and the job was recovered (requeued, or failed when spent). */
  stalled: [job: Job];
}
