/**
 * The SQLite store: durable jobs in one file, shared by many processes on one machine, on
 * `node:sqlite` (the same code under Deno and Bun).
 *
 * @example Processing from a file
 * ```ts ignore
 * import { kinetik } from "@kinetik/kinetik";
 * import { SqliteStore } from "@kinetik/kinetik/stores/sqlite";
 *
 * const queue = kinetik(new SqliteStore({ path: "kinetik.db" }));
 * ```
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import type { Job, LogLine } from "../src/job.ts";
import {
  type AddOptions,
  type ClaimRequest,
  type ClaimResult,
  type FindOptions,
  type JobQuery,
  type JobStats,
  type Lease,
  type MetricsSample,
  type NewJob,
  type PauseTarget,
  type RemoveFilter,
  type ScheduleFire,
  type ScheduleRecord,
  type Settlement,
  type SettleResult,
  type Store,
  StoreError,
  type StoreMessage,
  type WorkerRecord,
} from "../src/store.ts";
import { claim } from "./sqlite/_claim.ts";
import * as control from "./sqlite/_control.ts";
import { EventBus } from "./sqlite/_events.ts";
import { count, find } from "./sqlite/_find.ts";
import * as metrics from "./sqlite/_metrics.ts";
import { remove } from "./sqlite/_remove.ts";
import { prepareDatabase } from "./sqlite/_schema.ts";
import { settle } from "./sqlite/_settle.ts";
import { Statements } from "./sqlite/_statements.ts";
import * as verbs from "./sqlite/_verbs.ts";
import type { SqliteStoreOptions } from "./sqlite/_options.ts";

export type { SqliteStoreOptions } from "./sqlite/_options.ts";

/**
 * A {@linkcode Store} in a SQLite file, for one machine: every process that opens the same file
 * shares the jobs, claims exclusively, and sees the others' events within `pollInterval`.
 *
 * @example Opening and closing
 * ```ts
 * import { SqliteStore } from "@kinetik/kinetik/stores/sqlite";
 *
 * const store = new SqliteStore({ path: ":memory:" });
 * await store.close();
 * ```
 */
export class SqliteStore implements Store {
  readonly name = "sqlite";
  #db: DatabaseSync;
  #statements: Statements;
  #events: EventBus;
  #closed = false;

  /**
   * Opens (and when needed creates) the database.
   *
   * @throws {StoreError} when the file cannot be opened or was written by a newer Kinetik
   * @throws {TypeError} when `path` is not a non-empty string
   */
  constructor(options: SqliteStoreOptions) {
    const path = options?.path;
    if (typeof path !== "string" || path === "") {
      throw new TypeError(
        `Cannot open a SQLite store as path must be a non-empty string: current value is ${
          JSON.stringify(path) ?? String(path)
        }`,
      );
    }
    try {
      this.#db = new DatabaseSync(path);
    } catch (error) {
      throw new StoreError(
        "sqlite",
        `Cannot open the database as the file is unusable: current value is ${path} (${
          (error as Error).message
        })`,
        { cause: error },
      );
    }
    try {
      prepareDatabase(this.#db, {
        busyTimeout: options.busyTimeout ?? 5000,
        synchronous: options.synchronous ?? "NORMAL",
      });
    } catch (error) {
      this.#db.close();
      if (error instanceof StoreError) throw error;
      throw new StoreError(
        "sqlite",
        `Cannot open the database as SQLite refused it: current value is ${path} (${
          (error as Error).message
        })`,
        { cause: error },
      );
    }
    this.#statements = new Statements(this.#db);
    this.#events = new EventBus(this.#statements, options.pollInterval ?? 10, {
      maxAge: options.eventMaxAge ?? 60_000,
      maxRows: options.eventMaxRows ?? 10_000,
    });
  }

  /**
   * Saves jobs in one transaction of this store's own connection.
   *
   * @throws {TypeError} when `options.tx` is given: SQLite cannot join another client's
   * transaction
   */
  add(jobs: readonly NewJob[], options?: AddOptions): Promise<Job[]> {
    return this.#run("add jobs", () => {
      if (options?.tx !== undefined) {
        throw new TypeError(
          `Cannot add jobs in a transaction as the SQLite store runs its own: current value is ${typeof options
            .tx}`,
        );
      }
      if (jobs.length === 0) return [];
      return this.#events.transaction(() => {
        const saved = verbs.add(this.#statements, jobs);
        // Delayed jobs wake too: an idle processor in another process sleeps until the `next`
        // due time it last saw, and must learn of an earlier one.
        this.#events.wake(wakes(saved));
        return saved;
      });
    });
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#run("claim jobs", () => claim(this.#statements, request));
  }

  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    return this.#run(
      "renew leases",
      () =>
        this.#statements.transaction(() => verbs.renew(this.#statements, leases, now + leaseMs)),
    );
  }

  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    return this.#run("settle jobs", () => {
      return this.#events.transaction(() => {
        const jobs = settle(this.#statements, settlements, verbs.key);
        this.#events.wake(wakes(jobs.filter((job) => job?.status === "queued") as Job[]));
        const claimed = next ? claim(this.#statements, next) : { jobs: [] };
        return { jobs, claimed };
      });
    });
  }

  recover(now: number): Promise<Job[]> {
    return this.#run("recover jobs", () => {
      return this.#events.transaction(() => {
        const jobs = verbs.recover(this.#statements, now);
        this.#events.wake(wakes(jobs.filter((job) => job.status === "queued")));
        return jobs;
      });
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.#run("get a job", () => verbs.get(this.#statements, id));
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return this.#run("find jobs", () => find(this.#statements, query, options));
  }

  count(query: JobQuery): Promise<number> {
    return this.#run("count jobs", () => count(this.#statements, query));
  }

  stats(): Promise<JobStats> {
    return this.#run("read stats", () => verbs.stats(this.#statements));
  }

  /** Deletes jobs; narrowed by `before`, `keep` and `limit`, the oldest finished go first. */
  remove(filter: RemoveFilter): Promise<number> {
    return this.#run(
      "remove jobs",
      () => this.#statements.transaction(() => remove(this.#statements, filter)),
    );
  }

  removeJob(id: string): Promise<Job | undefined> {
    return this.#run("remove a job", () => verbs.removeJob(this.#statements, id));
  }

  promote(id: string, now: number): Promise<Job | undefined> {
    return this.#run("promote a job", () =>
      this.#events.transaction(() => {
        const job = verbs.promote(this.#statements, id, now);
        if (job) this.#events.wake(wakes([job]));
        return job;
      }));
  }

  cancel(id: string, now: number): Promise<Job | undefined> {
    return this.#run(
      "cancel a job",
      () => this.#statements.transaction(() => verbs.cancel(this.#statements, id, now)),
    );
  }

  requeue(id: string, now: number): Promise<Job | undefined> {
    return this.#run("requeue a job", () =>
      this.#events.transaction(() => {
        const job = verbs.requeue(this.#statements, id, now);
        if (job) this.#events.wake(wakes([job]));
        return job;
      }));
  }

  /** Adds to the paused set; the next claim of any process on the file skips them. */
  pause(target: PauseTarget): Promise<void> {
    return this.#run(
      "pause",
      () => this.#statements.transaction(() => control.pause(this.#statements, target)),
    );
  }

  /** Removes from the paused set and wakes every processor on the file. */
  resume(target: PauseTarget): Promise<void> {
    return this.#run("resume", () =>
      this.#events.transaction(() => {
        control.resume(this.#statements, target);
        this.#events.insert([{ type: "wake" }]);
      }));
  }

  paused(): Promise<PauseTarget> {
    return this.#run("read the paused set", () => control.paused(this.#statements));
  }

  schedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return this.#run(
      "save a schedule",
      () => this.#statements.transaction(() => control.schedule(this.#statements, schedule)),
    );
  }

  unschedule(id: string): Promise<boolean> {
    return this.#run("delete a schedule", () => control.unschedule(this.#statements, id));
  }

  schedules(): Promise<ScheduleRecord[]> {
    return this.#run("list schedules", () => control.schedules(this.#statements));
  }

  /** Compare-and-set on the schedule's spec and next, adding its jobs in the same transaction. */
  fire(fire: ScheduleFire): Promise<Job[] | undefined> {
    return this.#run("fire a schedule", () =>
      this.#events.transaction(() => {
        const jobs = control.fire(this.#statements, fire);
        if (jobs) this.#events.wake(wakes(jobs.filter((job) => job.status === "queued")));
        return jobs;
      }));
  }

  appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    return this.#run("append logs", () => {
      if (lines.length === 0) return;
      this.#statements.transaction(() => verbs.appendLogs(this.#statements, id, lines));
    });
  }

  logs(id: string): Promise<LogLine[]> {
    return this.#run("read logs", () => verbs.logs(this.#statements, id));
  }

  /** Messages from every process using the file, read every `pollInterval` ms while subscribed. */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    this.#check("subscribe");
    return this.#events.subscribe(signal);
  }

  publish(message: StoreMessage): Promise<void> {
    return this.#run("publish", () => this.#events.publish(message));
  }

  heartbeat(worker: WorkerRecord, ttlMs: number): Promise<void> {
    return this.#run("record a heartbeat", () => verbs.heartbeat(this.#statements, worker, ttlMs));
  }

  workers(now: number): Promise<WorkerRecord[]> {
    return this.#run("list workers", () => verbs.workers(this.#statements, now));
  }

  recordMetrics(samples: readonly MetricsSample[], now: number): Promise<void> {
    return this.#run("record metrics", () => metrics.recordMetrics(this.#statements, samples, now));
  }

  metrics(since: number): Promise<MetricsSample[]> {
    return this.#run("read metrics", () => metrics.metrics(this.#statements, since));
  }

  /** Writes pending events, ends subscriptions and closes the file; later calls reject. */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    try {
      this.#events.close();
    } finally {
      this.#closed = true;
      this.#db.close();
    }
    return Promise.resolve();
  }

  #check(what: string): void {
    if (this.#closed) {
      throw new StoreError("sqlite", `Cannot ${what} as the store is closed`);
    }
  }

  /** Runs a synchronous verb, turning SQLite failures into a rejected {@linkcode StoreError}. */
  async #run<T>(what: string, fn: () => T | Promise<T>): Promise<T> {
    this.#check(what);
    try {
      return await fn();
    } catch (error) {
      // Bad arguments stay TypeError/RangeError; what SQLite raised names the store.
      if (!isSqliteError(error)) throw error;
      throw new StoreError(
        "sqlite",
        `Cannot ${what} as SQLite refused: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }
}

function isSqliteError(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" &&
    (code.startsWith("ERR_SQLITE") || code === "ERR_INVALID_STATE");
}

/** One wake-up per task of `jobs`. */
function wakes(jobs: readonly Job[]): StoreMessage[] {
  return [...new Set(jobs.map((job) => job.task))].map((task) => ({ type: "wake", task }));
}
