/**
 * The options of a queue and of `queue.process()`, checked and turned into milliseconds.
 * @module
 */

import { type Clock, systemClock } from "./clock.ts";
import { type Duration, parseDuration } from "./duration.ts";
import { resolveRetention, type RetentionLimit, type RetentionOptions } from "./retention.ts";
import type { Store } from "./store.ts";
import { MemoryStore } from "../stores/memory.ts";

/** Options of `kinetik()` / `new Queue()`. */
export interface QueueOptions {
  /**
   * How long an idle processor waits before looking again, and how often the queue re-reads
   * schedules while it has a processor. @default "10s"
   */
  interval?: Duration;
  /** How long a claim lasts without renewal before another worker may recover the job. @default "30s" */
  lease?: Duration;
  /** Jobs a processor runs at once. @default 1 */
  concurrency?: number;
  /** How long `stop()`/`close()` let running jobs finish before aborting them. @default "5s" */
  grace?: Duration;
  /** The source of time; tests pass a `ManualClock`. */
  clock?: Clock;
  /**
   * How long finished jobs stay: per status an age (`"7d"`) or `{ age?, count? }`; statuses
   * left out keep their default, `false` keeps every finished job. Processors remove the rest
   * with their logs, in bounded batches.
   * @default { completed: "7d", failed: "30d", timeout: "30d", cancelled: "30d" }
   */
  retention?: RetentionOptions;
}

/** Options of `queue.process()`, overriding the queue's. */
export interface ProcessOptions {
  /** How long this processor waits when idle before looking again; default the queue's. */
  interval?: Duration;
  /** Jobs this processor runs at once; default the queue's. */
  concurrency?: number;
}

/** Checked queue settings, durations in ms. */
export interface QueueSettings {
  clock: Clock;
  interval: number;
  lease: number;
  concurrency: number;
  grace: number;
  retention: RetentionLimit[];
}

function show(value: unknown): string {
  return typeof value === "string" || Array.isArray(value) ? JSON.stringify(value) : String(value);
}

function positiveInteger(value: unknown, what: string): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot use ${what} as it must be an integer >= 1: current value is ${show(value)}`,
    );
  }
  return value;
}

/**
 * The queue's settings with defaults applied.
 * @throws {TypeError | RangeError} for an unreadable duration or a concurrency below 1
 */
export function resolveQueueOptions(options: QueueOptions): QueueSettings {
  return {
    clock: options.clock ?? systemClock,
    interval: parseDuration(options.interval ?? "10s", "interval"),
    lease: Math.max(1, parseDuration(options.lease ?? "30s", "lease")),
    concurrency: positiveInteger(options.concurrency ?? 1, "concurrency"),
    grace: parseDuration(options.grace ?? "5s", "grace"),
    retention: resolveRetention(options.retention),
  };
}

/**
 * A processor's interval and concurrency: `process()`'s second argument (an interval, or
 * `{ interval, concurrency }`) over the queue's.
 */
export function resolveProcessOptions(
  options: Duration | ProcessOptions | undefined,
  queue: QueueSettings,
): { interval: number; concurrency: number } {
  const opts: ProcessOptions = typeof options === "object" && options !== null
    ? options
    : { interval: options };
  return {
    interval: opts.interval === undefined
      ? queue.interval
      : parseDuration(opts.interval, "interval"),
    concurrency: opts.concurrency === undefined
      ? queue.concurrency
      : positiveInteger(opts.concurrency, "concurrency"),
  };
}

/** Checks `process()`'s tags: a tag or a non-empty list of them, in priority order. */
export function resolveTags(tags: unknown): string[] {
  const list = typeof tags === "string" ? [tags] : tags;
  if (
    !Array.isArray(list) || list.length === 0 ||
    list.some((t) => typeof t !== "string" || t === "")
  ) {
    throw new TypeError(
      `Cannot process tags as they must be a non-empty string or array of them: current value is ${
        show(tags)
      }`,
    );
  }
  return [...list];
}

function isStore(value: unknown): value is Store {
  return typeof (value as Store | undefined)?.claim === "function";
}

/**
 * What `new Queue(store?, options?)` was given: the first argument is a store or, without
 * one, the options (a `MemoryStore` is used then).
 */
export function resolveQueueArgs(
  store: Store | QueueOptions | undefined,
  options: QueueOptions,
): { store: Store; options: QueueOptions } {
  return isStore(store)
    ? { store, options }
    : { store: new MemoryStore(), options: store ?? options };
}
