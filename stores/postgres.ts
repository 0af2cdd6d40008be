/**
 * The PostgreSQL store: jobs in tables of their own schema, on the `postgres` npm client (the
 * same code under Deno and Bun). Claims are one `FOR UPDATE SKIP LOCKED` statement, wake-ups
 * and job events travel by `LISTEN`/`NOTIFY`, and a job can be enqueued inside the caller's
 * transaction, so it exists exactly when the caller's data commits.
 *
 * Tables (in the schema `kinetik` unless told otherwise, created or migrated on open):
 * `jobs` (one row per job, its log inside it), `paused`, `rate_starts` (rate windows),
 * `schedules`, `listeners` (stores with a LISTEN open), `events` (messages too long for a
 * NOTIFY), `workers` (heartbeats), `metrics` (run counts per task and minute) and
 * `migrations`. Needs PostgreSQL 13 or later.
 *
 * @example Enqueueing in a transaction
 * ```ts ignore
 * import postgres from "postgres";
 * import { kinetik } from "@kinetik/kinetik";
 * import { PostgresStore } from "@kinetik/kinetik/stores/postgres";
 *
 * const sql = postgres("postgres://app@127.0.0.1/app");
 * const queue = kinetik(new PostgresStore({ sql }));
 * await sql.begin(async (tx) => {
 *   const [user] = await tx`INSERT INTO users (email) VALUES ('a@example.com') RETURNING id`;
 *   await queue.create("welcome email", { user: user.id }, { tx });
 * });
 * ```
 *
 * @module
 */

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
  type SubscribeOptions,
  type WorkerRecord,
} from "../src/store.ts";
import { add } from "./postgres/_add.ts";
import { claimPlan, claimResult, claimSql } from "./postgres/_claim.ts";
import { Connection, connectionSource, isTransaction, type Sql } from "./postgres/_connection.ts";
import * as control from "./postgres/_control.ts";
import { Events } from "./postgres/_events.ts";
import { count, find } from "./postgres/_find.ts";
import * as lifecycle from "./postgres/_lifecycle.ts";
import { metrics as readMetrics, recordMetrics } from "./postgres/_metrics.ts";
import { channelName } from "./postgres/_notify.ts";
import { assertSchemaName, migrate } from "./postgres/_schema.ts";
import { settlePlan, settleResult, settleSql } from "./postgres/_settle.ts";
import * as verbs from "./postgres/_verbs.ts";

export type { Sql } from "./postgres/_connection.ts";

/** How to reach PostgreSQL and which schema to use there. */
export interface PostgresStoreOptions {
  /**
   * `postgres://[user[:password]@]host[:port]/database[?sslmode=…]` (or `postgresql://`),
   * for a pool the store opens and closes.
   */
  url?: string;
  /**
   * A `postgres` client to use instead of `url`, the one whose transactions `add` may join;
   * `close()` leaves it open. It should keep the client's default column names (no
   * `transform`).
   */
  sql?: Sql;
  /**
   * The schema of the store's tables; stores with different schemas never see each other's
   * jobs. Lowercase letters, digits and `_`.
   * @default {"kinetik"}
   */
  schema?: string;
  /**
   * Connections in the pool opened for `url`.
   * @default {10}
   */
  max?: number;
}

/**
 * A {@linkcode Store} on PostgreSQL. Its first verb creates or migrates the schema (under an
 * advisory lock, so processes starting together do it once); failures reject with a
 * {@linkcode StoreError} whose message starts with `postgres:`, and a verb after a failed
 * start tries again.
 *
 * @example Opening and closing
 * ```ts ignore
 * import { PostgresStore } from "@kinetik/kinetik/stores/postgres";
 *
 * const store = new PostgresStore({ url: "postgres://postgres@127.0.0.1:5432/app" });
 * await store.close();
 * ```
 */
export class PostgresStore implements Store {
  /** Always `"postgres"`. */
  readonly name = "postgres";
  /** PostgreSQL runs one settle-and-claim while the processor handles another's jobs. */
  readonly maxInFlight = 2;
  /** `add` joins a transaction of a `postgres` client (`AddOptions.tx`). */
  readonly canJoinTransaction = true;
  /** The schema in use. */
  readonly schema: string;
  #connection: Connection;
  #names: verbs.Names;
  #events: Events;
  #ready: Promise<void> | undefined;
  #closed = false;

  /**
   * Checks the options; nothing is sent until the first verb.
   *
   * @throws {TypeError} when neither a URL nor a client is given, or the schema is malformed
   * @throws {RangeError} when `max` is not a positive integer
   */
  constructor(options: PostgresStoreOptions) {
    const { url, sql, schema = "kinetik", max = 10 } = options ?? {};
    assertSchemaName(schema);
    this.schema = schema;
    this.#connection = new Connection(connectionSource(url, sql, max));
    this.#names = { schema, channel: channelName(schema) };
    this.#events = new Events(this.#connection, schema, () => this.ready());
  }

  /** The client the store runs on (the one passed in, or its own pool). */
  get sql(): Sql {
    return this.#connection.sql;
  }

  /**
   * Settles once the schema is ready (created or migrated); the first verb waits for the same.
   *
   * @throws {StoreError} when PostgreSQL is unreachable or the schema is newer than this code
   */
  ready(): Promise<void> {
    this.#check("open the store");
    this.#ready ??= migrate(this.#connection.sql, this.schema).catch((error) => {
      this.#ready = undefined; // The next verb tries again.
      throw error instanceof StoreError ? error : new StoreError(
        "postgres",
        `Cannot open the schema ${this.schema} as PostgreSQL failed: ${(error as Error).message}`,
        { cause: error },
      );
    });
    return this.#ready;
  }

  /**
   * Saves jobs, with `options.tx` inside that transaction of a `postgres` client: they (and
   * their wake-ups) exist once it commits, and never if it rolls back.
   *
   * @throws {TypeError} when `tx` is given but is not a `postgres` transaction
   */
  add(jobs: readonly NewJob[], options: AddOptions = {}): Promise<Job[]> {
    const { tx } = options;
    if (tx !== undefined && !isTransaction(tx)) {
      return Promise.reject(
        new TypeError(
          `Cannot add jobs as tx must be a transaction of a postgres client (sql.begin(async (tx) => …)): current value is ${typeof tx}`,
        ),
      );
    }
    return this.#run("add jobs", () => {
      if (jobs.length === 0) return Promise.resolve([]);
      return add(this.#connection, this.#names, jobs, tx, () => this.#events.take());
    });
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#run("claim jobs", async () => {
      const plan = claimPlan(request);
      if (plan.groups.length === 0) return { jobs: [] };
      const rows = await this.#carrying((carry) =>
        this.#connection.query(
          "claim jobs",
          claimSql(this.schema, plan, carry && this.#names.channel),
          carry ? [...plan.params, ...carry.params] : plan.params,
        )
      );
      return claimResult(rows, plan.groups);
    });
  }

  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    return this.#run(
      "renew leases",
      () => verbs.renew(this.#connection, this.#names, leases, now + leaseMs),
    );
  }

  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    return this.#run("settle jobs", async () => {
      const plan = settlePlan(settlements, next);
      const rows = await this.#carrying((carry) =>
        this.#connection.query(
          "settle jobs",
          settleSql(this.schema, this.#names.channel, plan.claim, carry !== undefined),
          carry ? [...plan.params, ...carry.params] : plan.params,
        )
      );
      return settleResult(plan, rows);
    });
  }

  recover(now: number): Promise<Job[]> {
    return this.#run("recover jobs", () => {
      return verbs.recover(this.#connection, this.#names, now);
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.#run("get a job", () => verbs.get(this.#connection, this.#names, id));
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return this.#run("find jobs", () => find(this.#connection, this.schema, query, options));
  }

  count(query: JobQuery): Promise<number> {
    return this.#run("count jobs", () => count(this.#connection, this.schema, query));
  }

  stats(): Promise<JobStats> {
    return this.#run("read stats", () => verbs.stats(this.#connection, this.#names));
  }

  remove(filter: RemoveFilter): Promise<number> {
    return this.#run(
      "remove jobs",
      () => lifecycle.remove(this.#connection, this.#names, filter),
    );
  }

  cancel(id: string, now: number): Promise<Job | undefined> {
    return this.#run("cancel a job", () => verbs.cancel(this.#connection, this.#names, id, now));
  }

  requeue(id: string, now: number): Promise<Job | undefined> {
    return this.#run("requeue a job", () => {
      return verbs.requeue(this.#connection, this.#names, id, now);
    });
  }

  /** Deletes one job in any status, with its logs and key. */
  removeJob(id: string): Promise<Job | undefined> {
    return this.#run(
      "remove a job",
      () => lifecycle.removeJob(this.#connection, this.#names, id),
    );
  }

  /** Makes a delayed job ready now, and wakes its task's processors. */
  promote(id: string, now: number): Promise<Job | undefined> {
    return this.#run("promote a job", () => {
      return lifecycle.promote(this.#connection, this.#names, id, now);
    });
  }

  /** Adds to the paused set; claims that start after it resolves take none of their jobs. */
  pause(target: PauseTarget): Promise<void> {
    return this.#run("pause", () => control.pause(this.#connection, this.#names, target));
  }

  /** Removes from the paused set and wakes every processor on the schema. */
  resume(target: PauseTarget): Promise<void> {
    return this.#run("resume", () => {
      return control.resume(this.#connection, this.#names, target);
    });
  }

  paused(): Promise<PauseTarget> {
    return this.#run("read the paused set", () => control.paused(this.#connection, this.#names));
  }

  schedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return this.#run(
      "save a schedule",
      () => control.schedule(this.#connection, this.#names, schedule),
    );
  }

  unschedule(id: string): Promise<boolean> {
    return this.#run(
      "delete a schedule",
      () => control.unschedule(this.#connection, this.#names, id),
    );
  }

  schedules(): Promise<ScheduleRecord[]> {
    return this.#run("list schedules", () => control.schedules(this.#connection, this.#names));
  }

  /** Compare-and-set on the schedule's spec and next, adding its jobs in the same transaction. */
  fire(fire: ScheduleFire): Promise<Job[] | undefined> {
    return this.#run("fire a schedule", () => {
      return control.fire(this.#connection, this.#names, fire);
    });
  }

  appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    return this.#run(
      "append logs",
      () => verbs.appendLogs(this.#connection, this.#names, id, lines),
    );
  }

  logs(id: string): Promise<LogLine[]> {
    return this.#run("read logs", () => verbs.logs(this.#connection, this.#names, id));
  }

  /**
   * Messages from every process on this schema (LISTEN on a dedicated connection, opened on
   * the first call), until `signal` aborts or the store closes. A message this store sends
   * after this call returned is never missed.
   *
   * @throws {StoreError} when the store is closed
   */
  subscribe(signal: AbortSignal, options: SubscribeOptions = {}): ReadableStream<StoreMessage> {
    this.#check("subscribe");
    return this.#events.stream(signal, options.origin);
  }

  /** Sends a message to every subscriber on the schema, by NOTIFY (delivered on commit). */
  publish(message: StoreMessage): Promise<void> {
    return this.#run("publish", () => this.#events.publish(message));
  }

  heartbeat(worker: WorkerRecord, ttlMs: number): Promise<void> {
    return this.#run(
      "record a heartbeat",
      () => verbs.heartbeat(this.#connection, this.#names, worker, ttlMs),
    );
  }

  workers(now: number): Promise<WorkerRecord[]> {
    return this.#run("list workers", () => verbs.workers(this.#connection, this.#names, now));
  }

  /** Sums samples into the `metrics` rows of their task and minute, dropping minutes past 24 h. */
  recordMetrics(samples: readonly MetricsSample[], now: number): Promise<void> {
    return this.#run(
      "record metrics",
      () => recordMetrics(this.#connection, this.#names, samples, now),
    );
  }

  metrics(since: number): Promise<MetricsSample[]> {
    return this.#run("read metrics", () => readMetrics(this.#connection, this.#names, since));
  }

  /** Ends the subscriptions and closes the pool (a client passed in stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#ready?.catch(() => {});
    await this.#events.close();
    await this.#connection.end();
  }

  #check(what: string): void {
    if (this.#closed) throw new StoreError(this.name, `Cannot ${what} as the store is closed`);
  }

  /**
   * Runs a verb once the schema is ready and the latest subscription listens (so a read after
   * `subscribe()` misses no later message); a closed store rejects.
   */
  async #run<T>(what: string, fn: () => Promise<T>): Promise<T> {
    this.#check(what);
    await this.ready();
    await this.#events.ready;
    return await fn();
  }

  /** Runs a statement that carries the job events held for sending, if any (`_outbox.ts`). */
  async #carrying<T>(fn: (carry: { params: unknown[] } | undefined) => Promise<T>): Promise<T> {
    const carry = this.#events.take();
    try {
      const result = await fn(carry);
      carry?.carried.done();
      return result;
    } catch (error) {
      carry?.carried.failed();
      throw error;
    }
  }
}
