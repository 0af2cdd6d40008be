/**
 * Job events: what happened to a job, as plain JSON so they can cross processes. The queue
 * streams them (`queue.events()`), tasks re-emit them under the seed's names. @module
 */

import type { Job, JobError, JobProgress, JobStatus, LogLine } from "./job.ts";

/** The kinds of job event. */
export type QueueEventType =
  | "created"
  | "started"
  | "log"
  | "progress"
  | "completed"
  | "failed"
  | "timeout"
  | "cancelled"
  | "retry"
  | "stalled";

/** Every kind of job event, in life order. */
export const QUEUE_EVENT_TYPES: readonly QueueEventType[] = [
  "created",
  "started",
  "log",
  "progress",
  "completed",
  "failed",
  "timeout",
  "cancelled",
  "retry",
  "stalled",
];

/** One job event. */
export interface QueueEvent {
  /** What happened. */
  type: QueueEventType;
  /** The job record when the event happened. */
  job: Job;
  /** Epoch ms. */
  time: number;
  /** For `log`. */
  line?: LogLine;
  /** For `progress`. */
  progress?: JobProgress;
  /** For `failed`, `retry` and `timeout`. */
  error?: JobError;
}

/** The event that ends a job's life for each final status. */
export const FINAL_EVENT: Partial<Record<JobStatus, QueueEventType>> = {
  completed: "completed",
  failed: "failed",
  timeout: "timeout",
  cancelled: "cancelled",
};

/** Whether an event leaves the job in a final status. */
export function isFinalEvent(event: QueueEvent): boolean {
  return event.type === "completed" || event.type === "failed" || event.type === "timeout" ||
    event.type === "cancelled" || (event.type === "stalled" && event.job.status === "failed");
}

/** Which events `queue.events(filter)` passes. */
export interface EventFilter {
  /** Only these event types. */
  type?: QueueEventType | QueueEventType[];
  /** Only jobs of these tasks. */
  task?: string | string[];
  /** Only this job. */
  id?: string;
}

/** A predicate for a filter. */
export function matchEvents(filter: EventFilter = {}): (event: QueueEvent) => boolean {
  const types = filter.type === undefined ? undefined : new Set([filter.type].flat());
  const tasks = filter.task === undefined ? undefined : new Set([filter.task].flat());
  const id = filter.id;
  return (event) =>
    (!types || types.has(event.type)) && (!tasks || tasks.has(event.job.task)) &&
    (id === undefined || event.job.id === id);
}
