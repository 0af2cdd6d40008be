/**
 * What a processor needs from its queue, and its settings. @module
 */

import type { QueueEvent } from "./events.ts";
import type { JobRun } from "./job_run.ts";
import type { MetricsRecorder } from "./metrics_recorder.ts";
import type { HookChain } from "./queue_hooks.ts";
import type { Store, TaskLimits } from "./store.ts";
import type { Clock } from "./clock.ts";
import type { Task } from "./task.ts";

/** The tasks a processor can run, as a claim needs them; cached by the queue. */
export interface ClaimPlan {
  /** Task names grouped by tag, in the processor's tag order. */
  groups: string[][];
  /** The tasks by name. */
  tasks: Map<string, Task>;
  /** `ClaimRequest.maxAttempts` for these tasks. */
  maxAttempts: Record<string, number>;
  /** `ClaimRequest.limits` for these tasks; absent when none has a limit. */
  limits?: Record<string, TaskLimits>;
}

/** What a processor needs from its queue. */
export interface ProcessorHost {
  readonly store: Store;
  readonly clock: Clock;
  /** The tasks with an action in the given tags. */
  plan(tags: readonly string[]): ClaimPlan;
  /** Routes a job event to tasks, streams and other processes. */
  emitEvent(event: QueueEvent, error?: unknown): void;
  emitEmpty(tags: string[]): void;
  reportError(error: unknown): void;
  /** Tracks runs so `cancel` can abort them. */
  runs: Map<string, JobRun>;
  /** Runs the queue's retention sweep when one is due (never rejects). */
  sweep(): Promise<void>;
  /** Ms until a sweep is due (`Infinity` for none). */
  sweepDue(now: number): number;
  /** The queue's hooks; their `aroundRun` wraps each run (absent: none). */
  hooks?: HookChain;
  /** Counts settled runs per task and minute (absent: nothing is counted). */
  metrics?: MetricsRecorder;
  /** The processor's loop has ended. */
  stopped?(): void;
}

/** Processor settings, all in ms. */
export interface ProcessorOptions {
  interval: number;
  concurrency: number;
  lease: number;
  grace: number;
  worker: string;
}
