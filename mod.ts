/**
 * Kinetik: a storage-agnostic, tag-centric job queue for Deno and Bun.
 *
 * Define tasks (the code), create jobs (the data), and process tags in priority order, on
 * memory, SQLite, Redis or MongoDB.
 *
 * @example The seed's quick start
 * ```ts
 * import { kinetik } from "@kinetik/kinetik";
 *
 * const queue = kinetik({ interval: 100 });
 * queue.define("send email").tag("messaging").retry("1s", 3)
 *   .action(async (job) => {
 *     job.log("sending", { to: (job.data as { email: string }).email });
 *   });
 * const job = await queue.create("send email", { email: "ford@example.com" });
 * queue.process(["messaging"]);
 * for await (const event of queue.watch(job.id)) console.log(event.type);
 * await queue.close();
 * ```
 *
 * @module
 */

export { type Kinetik, kinetik } from "./src/kinetik.ts";
export { Queue } from "./src/queue.ts";
export type { Plugin, ProcessOptions, QueueEvents, QueueOptions } from "./src/queue.ts";
export type { PauseInput } from "./src/queue_control.ts";
export type { QueueHooks, RunEnd, RunOutcome } from "./src/queue_hooks.ts";
export type { Schedule, ScheduleSpec } from "./src/schedules/schedule_spec.ts";
export type { RateLimit } from "./src/task_limits.ts";
export { Task } from "./src/task.ts";
export type {
  Action,
  Done,
  RetryOptions,
  RetryPolicy,
  TaskConfig,
  TaskEvents,
} from "./src/task.ts";
export type { Emitter, EventMap } from "./src/emitter.ts";
export { Processor } from "./src/processor.ts";
export { JobContext } from "./src/job_context.ts";
export { FINAL_STATUSES, isFinalStatus, JOB_STATUSES } from "./src/job.ts";
export type { Job, JobError, JobProgress, JobStatus, LogLine } from "./src/job.ts";
export type { CreateOptions, JobSpec } from "./src/job_spec.ts";
export { QUEUE_EVENT_TYPES } from "./src/events.ts";
export type { EventFilter, QueueEvent, QueueEventType } from "./src/events.ts";
export type { CleanOptions, FetchOptions, QueueStats } from "./src/queue_reads.ts";
export type { WaitOptions } from "./src/wait.ts";
export type {
  MetricsOptions,
  MetricsSeries,
  MetricsSummary,
  QueueMetrics,
} from "./src/queue_metrics.ts";
export { DEFAULT_RETENTION } from "./src/retention.ts";
export type { FinishedStatus, RetentionOptions, RetentionRule } from "./src/retention.ts";
export { StoreError } from "./src/store.ts";
export type * from "./src/store.ts";
export { type Clock, systemClock, type TimerHandle } from "./src/clock.ts";
export { type Duration, parseDuration } from "./src/duration.ts";
export { MemoryStore } from "./stores/memory.ts";
export { DEFAULT_STORE_URL, defaultStoreUrl, openStore } from "./src/open_store.ts";
export { environment, type EnvironmentOptions } from "./src/middleware/environment.ts";
export { cli, type CliOptions } from "./src/middleware/cli.ts";
export {
  otel,
  type OtelApi,
  type OtelContext,
  type OtelOptions,
  type OtelSpan,
} from "./src/middleware/otel.ts";
export type { RunCliOptions } from "./src/cli/run_cli.ts";
export type { HttpServing } from "./src/cli/serve.ts";
