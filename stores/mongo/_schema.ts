/**
 * The collections of a MongoDB store and their indexes, created once when the store first
 * connects. @module
 */

import type { Collection, Db, IndexDescription } from "mongodb";
import type { JobDocument } from "./_documents.ts";
import type { MetricsDocument } from "./_metrics.ts";

/** A message between processes, as the `events` collection keeps it. */
export interface EventDocument {
  /** Increasing sequence number, from the `events` counter. */
  _id: number;
  /** The writing store instance, which delivers its own messages without reading them back. */
  origin: string;
  /** The server's time (ms) when the writer took the number: where subscriptions start. */
  time: number;
  /** The message as JSON text, so it comes back exactly as sent. */
  body: string;
}

/** A worker's heartbeat. */
export interface WorkerDocument {
  _id: string;
  /** The worker record as JSON text. */
  body: string;
  /** `seen + ttlMs`: the record is dropped once `now` passes it. */
  expires: number;
  started: number;
}

/**
 * A counter: `seq` is the last number handed out (a missing one counts as 0). The `events`
 * counter also keeps `time`, the server's time at its last write, stamped on each message.
 */
export interface CounterDocument {
  _id: "jobs" | "events";
  seq: number;
  time?: Date;
}

/**
 * What claims pass through (see `_control.ts`): the paused set (`_id: "paused"`, `tags`,
 * `tasks`) and one rate window per limited task (`_id: "rate:<task>"`, `starts`).
 */
export interface ControlDocument {
  _id: string;
  tags?: string[];
  tasks?: string[];
  starts?: { at: number; token: string }[];
}

/** A schedule: the record's fields (`id` as `_id`), and the fires not yet written out. */
export interface ScheduleDocument {
  _id: string;
  task: string;
  cron?: string;
  every?: number;
  tz: string;
  data: unknown;
  priority: number;
  missed: "skip" | "latest" | "all";
  next: number;
  spec: string;
  /** Fires whose `next` moved but whose jobs may not be saved yet (see `_schedules.ts`). */
  _pending?: { token: string; jobs: string }[];
}

/** The collections of one store, all named `<prefix><name>`. */
export interface Collections {
  jobs: Collection<JobDocument>;
  events: Collection<EventDocument>;
  workers: Collection<WorkerDocument>;
  counters: Collection<CounterDocument>;
  metrics: Collection<MetricsDocument>;
  control: Collection<ControlDocument>;
  schedules: Collection<ScheduleDocument>;
}

/** The collections for `prefix` in `db`. */
export function collections(db: Db, prefix: string): Collections {
  return {
    jobs: db.collection<JobDocument>(`${prefix}jobs`),
    events: db.collection<EventDocument>(`${prefix}events`),
    workers: db.collection<WorkerDocument>(`${prefix}workers`),
    counters: db.collection<CounterDocument>(`${prefix}counters`),
    metrics: db.collection<MetricsDocument>(`${prefix}metrics`),
    control: db.collection<ControlDocument>(`${prefix}control`),
    schedules: db.collection<ScheduleDocument>(`${prefix}schedules`),
  };
}

/*
 * Every index is named, so creating it again (another process opening the same store) is a
 * no-op on the server. Logs live inside the job document, so no logs collection is needed.
 */
const JOB_INDEXES: IndexDescription[] = [
  // The claim path: per task and status, in claim order. A claim names its tasks and the two
  // waiting statuses, so the server walks one ordered range per (task, status) and merges.
  {
    name: "claim",
    key: { task: 1, status: 1, priority: 1, _readyAt: 1, _id: 1 },
  },
  // The earliest delayed job per task, for ClaimResult.next.
  {
    name: "delayed",
    key: { task: 1, _readyAt: 1 },
    partialFilterExpression: { status: "delayed" },
  },
  // The lease path: recovery reads processing jobs whose lease has expired.
  { name: "lease", key: { status: 1, leaseUntil: 1 } },
  // Listing, counting, stats and clean, narrowed by status and task.
  { name: "status", key: { status: 1, task: 1, created: 1 } },
  // Sweeps (clean, retention): the oldest finished jobs of some statuses, one ordered range
  // per status, read in batches (see `_remove.ts`). Only finished jobs have `finished`.
  {
    name: "finished",
    key: { status: 1, finished: 1, _id: 1 },
    partialFilterExpression: { finished: { $exists: true } },
  },
  // Listing every job in creation order (`find` without a filter), page by page.
  { name: "created", key: { created: 1, _id: 1 } },
  // Dedupe: `_activeKey` is set only while an unfinished job holds its key, so two concurrent
  // adds with one key cannot both insert; the loser's insert fails with a duplicate key error.
  // Dedupe lookups: the unfinished jobs with a key (usually one; more after a requeue while
  // another job held the key).
  { name: "key", key: { key: 1 }, partialFilterExpression: { key: { $exists: true } } },
  {
    name: "active_key",
    key: { _activeKey: 1 },
    unique: true,
    partialFilterExpression: { _activeKey: { $exists: true } },
  },
  // Concurrency limits: a processing job claimed under one holds a slot number of its task,
  // and no two processing jobs of a task hold the same (see `_control.ts`). Leaving
  // `processing` leaves the index, which frees the slot.
  {
    name: "slot",
    key: { task: 1, _slot: 1 },
    unique: true,
    partialFilterExpression: { status: "processing", _slot: { $exists: true } },
  },
  // Schedules: the job of a fire time is saved once, ever (`_fireKey` = its key, kept when the
  // job finishes, unlike `_activeKey`), however many processes write it (see `_schedules.ts`).
  {
    name: "fire_key",
    key: { _fireKey: 1 },
    unique: true,
    partialFilterExpression: { _fireKey: { $exists: true } },
  },
];

/** Creates the indexes (idempotent). */
export async function createIndexes(collections: Collections): Promise<void> {
  await collections.jobs.createIndexes(JOB_INDEXES);
  await collections.workers.createIndex({ expires: 1 }, { name: "expires" });
  // Metrics: reads of the minutes since a time, and the drop of those past 24 hours.
  await collections.metrics.createIndex({ minute: 1 }, { name: "minute" });
  // The earliest next fire, for listings by time (`kinetik schedules`) and due checks.
  await collections.schedules.createIndex({ next: 1 }, { name: "next" });
}
