/**
 * From how a run ended to what the store records: retry or fail, the error as stored, the
 * backoff, and Kinetik's own log line. Pure functions, so the rules read in one place. @module
 */

import type { QueueEvent } from "./events.ts";
import type { Job, JobError } from "./job.ts";
import type { JobRun, RunResult } from "./job_run.ts";
import { assertJsonData } from "./json_data.ts";
import type { Settlement, SettleOutcome } from "./store.ts";
import type { RetryPolicy, TaskConfig } from "./task.ts";

/** What a finished run turns into. */
export interface Decision {
  outcome: SettleOutcome;
  error?: JobError;
  /** For a retry: ms until the next run. */
  retryIn?: number;
  /** Kinetik's line for the log. */
  message: string;
}

/**
 * The stored form of anything an action failed with: a string is the message; an object's
 * `message` and `code` are read (the seed's rule).
 */
export function toJobError(error: unknown): JobError {
  if (typeof error === "string") return { message: error };
  if (error !== null && typeof error === "object") {
    const { message, code } = error as { message?: unknown; code?: unknown };
    const stored: JobError = { message: typeof message === "string" ? message : String(error) };
    // A DOMException's numeric `code` is a legacy constant, not the caller's code.
    if (typeof code === "string") stored.code = code;
    else if (typeof code === "number" && !(error instanceof DOMException)) {
      stored.code = String(code);
    }
    return stored;
  }
  return { message: String(error) };
}

/** An `Error` for a stored error, for the `fail` event of jobs run elsewhere. */
export function toError(error: JobError | undefined): Error {
  const result = new Error(error?.message ?? "Job failed");
  if (error?.code) (result as Error & { code?: string }).code = error.code;
  return result;
}

/**
 * Milliseconds before retry number `attempt` (1 = the first retry). Exponential backoff doubles
 * the delay each time and keeps a random half of it ("equal jitter"), so workers that failed
 * together do not retry together.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random = Math.random): number {
  if (policy.backoff === "fixed") return policy.delay;
  const full = policy.delay * 2 ** Math.min(attempt - 1, 30);
  return Math.round(full / 2 + random() * (full / 2));
}

/** Whether a job that failed on run `attempt` gets another run. */
export function canRetry(policy: RetryPolicy | undefined, attempt: number): policy is RetryPolicy {
  return policy !== undefined && (policy.max === undefined || attempt <= policy.max);
}

/**
 * The attempts after which a stalled job fails instead of being requeued (0: never). A crash
 * is not the job's fault, so recovery allows one more run than the retry policy; a job that
 * crashes its worker every time still ends, as `failed`, instead of looping forever.
 */
export function stallLimit(config: Partial<TaskConfig>): number {
  const retry = config.retry;
  if (retry && retry.max === undefined) return 0;
  return (retry?.max ?? 0) + 2;
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${+(ms / 1000).toFixed(2)}s`;
}

/**
 * The decision for a run completed in under a second, each made once per millisecond count:
 * almost every run is one, and a finished job keeps its lines, so sharing the object and its
 * text saves two allocations per job and the bytes a kept job holds.
 */
const completedUnderASecond: Decision[] = [];

function completed(elapsed: number): Decision {
  if (!(Number.isInteger(elapsed) && elapsed >= 0 && elapsed < 1000)) {
    return { outcome: "completed", message: `Completed in ${seconds(elapsed)}` };
  }
  return completedUnderASecond[elapsed] ??= Object.freeze({
    outcome: "completed",
    message: `Completed in ${elapsed}ms`,
  });
}

/** What to record for a run that ended on its own (not aborted). */
export function decide(
  result: RunResult,
  config: TaskConfig,
  attempt: number,
  elapsed: number,
): Decision {
  switch (result.kind) {
    case "completed":
      return completed(elapsed);
    case "timeout": {
      const limit = seconds(config.timeout ?? 0);
      return {
        outcome: "timeout",
        error: { message: `Timed out after ${limit}`, code: "ETIMEOUT" },
        message: `Timed out after ${limit}`,
      };
    }
    case "failed": {
      const error = toJobError(result.error);
      if (canRetry(config.retry, attempt)) {
        const retryIn = backoffDelay(config.retry, attempt);
        return {
          outcome: "retry",
          error,
          retryIn,
          message: `Failed: ${error.message}; retry ${attempt} in ${seconds(retryIn)}`,
        };
      }
      return { outcome: "failed", error, message: `Failed: ${error.message}` };
    }
    case "aborted":
      return { outcome: "release", message: "Released: the worker is stopping" };
  }
}

/**
 * A completed run whose value cannot be stored as JSON fails instead, with the `TypeError`
 * that says why (and is retried by policy like any failure).
 */
function checkResult(result: RunResult): RunResult {
  if (result.kind !== "completed" || result.value === undefined) return result;
  try {
    assertJsonData(result.value, "store job result");
    return result;
  } catch (error) {
    return { kind: "failed", error };
  }
}

/**
 * What to tell the store about a run that ended on its own (or was given back on shutdown):
 * the outcome under the run's settings (the job's overrides over the task's), and for a
 * completed run its value as `result`.
 */
export function settlementFor(run: JobRun, ended: RunResult, now: number): Settlement {
  const result = checkResult(ended);
  const started = run.job.started ?? now;
  const decision = decide(result, run.settings, run.job.attempts, now - started);
  run.note(decision.message);
  const settlement: Settlement = {
    id: run.job.id,
    token: run.job.token,
    outcome: decision.outcome,
    now,
    logs: run.logs,
  };
  if (decision.error) settlement.error = decision.error;
  if (decision.retryIn !== undefined) settlement.runAt = now + decision.retryIn;
  if (run.progress) settlement.progress = run.progress;
  if (result.kind === "completed" && result.value !== undefined) settlement.result = result.value;
  return settlement;
}

/**
 * The event announcing a committed outcome (none for a release), and for a failure the error
 * the `fail` listeners get: the action's own Error when it threw one.
 */
export function outcomeEvent(
  settlement: Settlement,
  job: Job,
  result: RunResult,
): { event: QueueEvent; error?: unknown } | undefined {
  const time = settlement.now;
  switch (settlement.outcome) {
    case "completed":
      return { event: { type: "completed", job, time } };
    case "failed": {
      const thrown = result.kind === "failed" && result.error instanceof Error;
      return {
        event: { type: "failed", job, time, error: settlement.error },
        error: thrown ? result.error : toError(settlement.error),
      };
    }
    case "retry":
    case "timeout":
      return { event: { type: settlement.outcome, job, time, error: settlement.error } };
    case "release":
      return undefined;
  }
}

/**
 * Whether `stored` is what `settlement` left of the run that claimed `claimed`: how the
 * processor tells a settle whose reply was lost (retried, and then refused because the first
 * try was applied) from an outcome another worker or a cancel wrote. The attempt count tells
 * this run from a later one; `finished` (`runAt` for a retry) this outcome from another's.
 */
export function isOwnOutcome(settlement: Settlement, claimed: Job, stored: Job): boolean {
  switch (settlement.outcome) {
    case "completed":
    case "failed":
    case "timeout":
      return stored.status === settlement.outcome && stored.attempts === claimed.attempts &&
        stored.finished === settlement.now;
    case "retry":
      return stored.status === "delayed" && stored.attempts === claimed.attempts &&
        stored.runAt === settlement.runAt;
    case "release":
      return stored.status === "queued" && stored.attempts === claimed.attempts - 1;
  }
}
