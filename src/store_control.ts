/**
 * The records of a store shared by every process on it: pauses, schedules, per-minute
 * metrics, counts, messages between processes, task definitions and live workers. Part of the
 * store contract (see `store.ts`, which re-exports every name).
 *
 * @module
 */

import type { JobStatus } from "./job.ts";
import type { NewJob } from "./store_claims.ts";

/** Paused tags and tasks: no claim takes their jobs. */
export interface PauseTarget {
  /** Paused tags: no job of a task in one of them is claimed by a processor that knows the tag. */
  tags: string[];
  /** Paused task names. */
  tasks: string[];
}

/** How a schedule treats fire times that passed while no processor ran. */
export type MissedPolicy = "skip" | "latest" | "all";

/** A stored schedule: what it creates, when, and its next fire time. */
export interface ScheduleRecord {
  /** Chosen by the caller; unique within the store. */
  id: string;
  /** The task of the jobs it creates. */
  task: string;
  /** A cron expression (5 fields, or 6 with seconds). */
  cron?: string;
  /** Or a fixed period in ms. */
  every?: number;
  /** IANA time zone of `cron`. */
  tz: string;
  /** The data of every job it creates. */
  data: unknown;
  /** The priority of every job it creates. */
  priority: number;
  /** What to do with fire times that passed while no processor ran. */
  missed: MissedPolicy;
  /** The next fire time, epoch ms. */
  next: number;
  /**
   * The canonical text of the spec (every field above but `next`), built by the core: saving
   * a schedule whose `spec` equals the stored one keeps the stored `next`.
   */
  spec: string;
}

/** One firing of a schedule, as the core computed it. */
export interface ScheduleFire {
  /** The schedule's id. */
  id: string;
  /** The `spec` the core read; the fire happens only while it is still stored. */
  spec: string;
  /** The `next` the core read; the fire happens only while it is still stored. */
  expected: number;
  /** The new `next`. */
  next: number;
  /** One job per fire time to create, each keyed `schedule:<id>:<fire time ms>`. */
  jobs: NewJob[];
}

/** Per task and minute: outcomes and a run-time histogram (see `src/metrics.ts`). */
export interface MetricsSample {
  /** The task whose runs are counted. */
  task: string;
  /** Start of the minute, epoch ms (a multiple of 60,000). */
  minute: number;
  /** Runs that completed in the minute. */
  completed: number;
  /** Runs that ended failed or timed out in the minute (retries count too). */
  failed: number;
  /** Run-time histogram: bucket index (as a string) → runs. */
  runtimes: Record<string, number>;
}

/** Counts by task, then status. */
export type JobStats = Record<string, Partial<Record<JobStatus, number>>>;

/** A message between processes sharing a store. */
export type StoreMessage =
  /** New ready work for `task` (sent by the store itself from `add`, `settle` and `recover`). */
  | { type: "wake"; task?: string }
  /** A job event from the process `origin`. */
  | { type: "event"; origin: string; event: unknown }
  /** Abort the run of job `id` wherever it runs. */
  | { type: "cancel"; id: string };

/** A task definition recorded by a worker, so tools on other machines know it. */
export interface TaskRecord {
  /** The task's name. */
  name: string;
  /** Its tag. */
  tag: string;
  /** What `desc()` set. */
  description?: string;
  /** Its timeout in ms; unset means no limit. */
  timeout?: number;
  /** Its retry policy (ms; `max` unset means no limit). */
  retry?: { delay: number; max?: number; backoff: string };
  /** Its rate limit: at most `max` starts in any window of `per` ms. */
  rate?: { max: number; per: number };
  /** Its global concurrency limit. */
  concurrency?: number;
}

/** Options of `Store.subscribe`. */
export interface SubscribeOptions {
  /** The `origin` of the event messages this subscriber publishes itself. */
  origin?: string;
}

/** A live worker, as recorded by its heartbeat. */
export interface WorkerRecord {
  /** The processor's worker id (`host:pid:random`), as recorded on the jobs it claims. */
  id: string;
  /** The tags it processes, in priority order. */
  tags: string[];
  /** The tasks it can run in those tags. */
  tasks: TaskRecord[];
  /** The host name of its machine. */
  host?: string;
  /** Its process id. */
  pid?: number;
  /** When the processor started (epoch ms). */
  started: number;
  /** The latest heartbeat (epoch ms). */
  seen: number;
}
