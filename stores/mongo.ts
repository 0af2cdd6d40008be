/**
 * The MongoDB store: jobs as documents on any MongoDB 4.2 or later (standalone, replica set
 * or sharded), on the official `mongodb` driver. Claims are `findOneAndUpdate`s, every other
 * write is a single-document update, so no verb needs a transaction or a replica set; wake-ups
 * and job events travel through a polled `events` collection.
 *
 * Collections (in the database of the URL, else `kinetik`): `<prefix>jobs` (one document per
 * job, its log inside it), `<prefix>events`, `<prefix>workers`, `<prefix>counters` and
 * `<prefix>metrics` (one document per task and minute).
 *
 * @example Opening a MongoDB store
 * ```ts ignore
 * import { kinetik } from "@kinetik/kinetik";
 * import { MongoStore } from "@kinetik/kinetik/stores/mongo";
 *
 * const queue = kinetik(new MongoStore({ url: "mongodb://127.0.0.1:27017/jobs" }));
 * ```
 *
 * @module
 */

import { MongoClient, MongoError } from "mongodb";
import type { Job, LogLine } from "../src/job.ts";
import {
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
import { claim } from "./mongo/_claim.ts";
import * as connection from "./mongo/_connection.ts";
import * as control from "./mongo/_control.ts";
import { EventBus } from "./mongo/_events.ts";
import { count, find } from "./mongo/_find.ts";
import * as metrics from "./mongo/_metrics.ts";
import { type Collections, collections, createIndexes } from "./mongo/_schema.ts";
import { remove, removeJob } from "./mongo/_remove.ts";
import * as schedules from "./mongo/_schedules.ts";
import { recover, renew, settle } from "./mongo/_settle.ts";
import type { MongoStoreOptions } from "./mongo/_options.ts";
import * as verbs from "./mongo/_verbs.ts";
import { add } from "./mongo/_add.ts";

export type { MongoClientLike, MongoStoreOptions } from "./mongo/_options.ts";

/**
 * A {@linkcode Store} on MongoDB. It connects on its first verb and creates its indexes then;
 * failures reject with a {@linkcode StoreError} whose message starts with `mongo:`, and a
 * verb after a failed connection tries again.
 *
 * @example Opening and closing
 * ```ts ignore
 * import { MongoStore } from "@kinetik/kinetik/stores/mongo";
 *
 * const store = new MongoStore({ url: "mongodb://127.0.0.1:27017", prefix: "mail_" });
 * await store.close();
 * ```
 */
export class MongoStore implements Store {
  /** Always `"mongo"`. */
  readonly name = "mongo";
  /** The database in use. */
  readonly database: string;
  /** The collection name prefix in use. */
  readonly prefix: string;
  #open: () => MongoClient;
  #ownsClient: boolean;
  #client: MongoClient | undefined;
  #ready: Promise<Collections> | undefined;
  #events: EventBus;
  #closed = false;
  #where: string;

  /**
   * Checks the options; nothing connects until the first verb.
   *
   * @throws {TypeError} when neither a URL nor a client is given, or the URL, database or
   * prefix is malformed
   * @throws {RangeError} when a number option is not a positive integer
   */
  constructor(options: MongoStoreOptions) {
    const { url, client } = options ?? {};
    this.prefix = connection.checkPrefix(options?.prefix ?? connection.DEFAULT_PREFIX);
    const pollInterval = connection.checkPositive("pollInterval", options?.pollInterval ?? 15);
    const maxRows = connection.checkPositive("eventMaxRows", options?.eventMaxRows ?? 10_000);
    if (client instanceof MongoClient) {
      this.database = connection.checkDatabase(options.database ?? client.options.dbName);
      this.#ownsClient = false;
      this.#open = () => client;
      this.#where = "the given client";
    } else if (client !== undefined || url === undefined) {
      throw new TypeError(
        `Cannot open the MongoDB store as it needs a url or a MongoClient: current value is ${
          client === undefined ? "neither" : "a client that is not a MongoClient"
        }`,
      );
    } else {
      const checked = connection.checkUrl(url);
      this.database = connection.checkDatabase(
        options.database ?? connection.databaseFromUrl(checked) ?? connection.DEFAULT_DATABASE,
      );
      const timeout = connection.checkPositive(
        "serverSelectionTimeoutMS",
        options.serverSelectionTimeoutMS ?? connection.DEFAULT_SERVER_SELECTION_TIMEOUT,
      );
      const settings = connection.hasServerSelectionTimeout(checked)
        ? { appName: "kinetik" }
        : { appName: "kinetik", serverSelectionTimeoutMS: timeout };
      this.#where = connection.redact(checked);
      // Parsing happens here, so a malformed URL is a TypeError at the call site.
      try {
        new MongoClient(checked, settings);
      } catch (error) {
        throw new TypeError(
          `Cannot open the MongoDB store as the URL is malformed (${
            (error as Error).message
          }): current value is ${this.#where}`,
        );
      }
      this.#ownsClient = true;
      this.#open = () => new MongoClient(checked, settings);
    }
    this.#events = new EventBus(() => this.#connect(), pollInterval, maxRows);
  }

  async add(jobs: readonly NewJob[]): Promise<Job[]> {
    return await this.#run("add jobs", async (c) => {
      const saved = await add(c, jobs);
      await this.#wake(saved.filter((job) => job.status === "queued"));
      return saved;
    });
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#run("claim jobs", (c) => claim(c, request));
  }

  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    return this.#run("renew leases", (c) => renew(c, leases, now + leaseMs));
  }

  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    return this.#run("settle jobs", async (c) => {
      // The claim's read of the paused set rides along with the settle's writes.
      const [jobs, pausedSet] = await Promise.all([
        settle(c, settlements),
        next ? control.paused(c) : undefined,
      ]);
      await this.#wake(jobs.filter((job) => job?.status === "queued") as Job[]);
      const claimed = next ? await claim(c, next, pausedSet) : { jobs: [] };
      return { jobs, claimed };
    });
  }

  recover(now: number): Promise<Job[]> {
    return this.#run("recover jobs", async (c) => {
      const jobs = await recover(c, now);
      await this.#wake(jobs.filter((job) => job.status === "queued"));
      return jobs;
    });
  }

  get(id: string): Promise<Job | undefined> {
    return this.#run("get a job", (c) => verbs.get(c, id));
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return this.#run("find jobs", (c) => find(c, query, options));
  }

  count(query: JobQuery): Promise<number> {
    return this.#run("count jobs", (c) => count(c, query));
  }

  stats(): Promise<JobStats> {
    return this.#run("count jobs", (c) => verbs.stats(c));
  }

  /** Deletes jobs and their logs; with `before`, `keep` or `limit`, oldest finished first. */
  remove(filter: RemoveFilter): Promise<number> {
    return this.#run("remove jobs", (c) => remove(c, filter));
  }

  /** Deletes one job in any status with its log and key; resolves to it as it was. */
  removeJob(id: string): Promise<Job | undefined> {
    return this.#run("remove a job", (c) => removeJob(c, id));
  }

  /** Makes a delayed job ready now, and wakes the processors of its task. */
  promote(id: string, now: number): Promise<Job | undefined> {
    return this.#run("promote a job", async (c) => {
      const job = await verbs.promote(c, id, now);
      if (job) await this.#wake([job]);
      return job;
    });
  }

  cancel(id: string, now: number): Promise<Job | undefined> {
    return this.#run("cancel a job", (c) => verbs.cancel(c, id, now));
  }

  requeue(id: string, now: number): Promise<Job | undefined> {
    return this.#run("requeue a job", async (c) => {
      const job = await verbs.requeue(c, id, now);
      if (job) await this.#wake([job]);
      return job;
    });
  }

  appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    return this.#run("append logs", (c) => verbs.appendLogs(c, id, lines));
  }

  logs(id: string): Promise<LogLine[]> {
    return this.#run("read logs", (c) => verbs.logs(c, id));
  }

  /** Adds tags and tasks to the paused set, which every claim reads first. */
  pause(target: PauseTarget): Promise<void> {
    return this.#run("pause", (c) => control.pause(c, target));
  }

  /** Removes tags and tasks from the paused set, and wakes every processor. */
  resume(target: PauseTarget): Promise<void> {
    return this.#run("resume", async (c) => {
      await control.resume(c, target);
      await this.#events.publish([{ type: "wake" }]).catch(() => {});
    });
  }

  paused(): Promise<PauseTarget> {
    return this.#run("read the paused set", (c) => control.paused(c));
  }

  /** Upserts a schedule: the same spec keeps the stored one, its `next` included. */
  schedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return this.#run("save a schedule", (c) => schedules.schedule(c, schedule));
  }

  unschedule(id: string): Promise<boolean> {
    return this.#run("delete a schedule", (c) => schedules.unschedule(c, id));
  }

  /** Every schedule, by id; fires a crashed process left half done are completed first. */
  schedules(): Promise<ScheduleRecord[]> {
    return this.#run("list schedules", async (c) => {
      const { records, saved } = await schedules.schedules(c);
      await this.#wake(saved.filter((job) => job.status === "queued"));
      return records;
    });
  }

  /** Fires a schedule: a compare-and-set on its `next`, then its jobs (see `_schedules.ts`). */
  fire(fire: ScheduleFire): Promise<Job[] | undefined> {
    return this.#run("fire a schedule", async (c) => {
      const saved = await schedules.fire(c, fire);
      if (saved) await this.#wake(saved.filter((job) => job.status === "queued"));
      return saved;
    });
  }

  recordMetrics(samples: readonly MetricsSample[], now: number): Promise<void> {
    return this.#run("record metrics", (c) => metrics.recordMetrics(c, samples, now));
  }

  metrics(since: number): Promise<MetricsSample[]> {
    return this.#run("read metrics", (c) => metrics.metrics(c, since));
  }

  /** Messages from every process sharing the collections, read every `pollInterval` ms. */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    this.#check("subscribe");
    return this.#events.subscribe(signal);
  }

  publish(message: StoreMessage): Promise<void> {
    return this.#run("publish", () => this.#events.publish([message]));
  }

  heartbeat(worker: WorkerRecord, ttlMs: number): Promise<void> {
    return this.#run("record a heartbeat", (c) => verbs.heartbeat(c, worker, ttlMs));
  }

  workers(now: number): Promise<WorkerRecord[]> {
    return this.#run("list workers", (c) => verbs.workers(c, now));
  }

  /** Ends subscriptions and closes the connection it opened (a given client stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Closing the client first also ends a connection attempt in flight.
    const client = this.#client;
    this.#client = undefined;
    const closing = this.#ownsClient ? client?.close() : undefined;
    await this.#events.close();
    await this.#ready?.catch(() => {});
    this.#ready = undefined;
    await closing;
  }

  /**
   * One wake-up per task with new ready work. Best effort: the jobs are saved by then, and
   * failing the verb would make a caller add them again; a processor that misses a wake-up
   * still finds the work on its next poll.
   */
  async #wake(jobs: readonly Job[]): Promise<void> {
    const tasks = [...new Set(jobs.map((job) => job.task))];
    await this.#events.publish(tasks.map((task) => ({ type: "wake", task }))).catch(() => {});
  }

  #check(what: string): void {
    if (this.#closed) {
      throw new StoreError(
        "mongo",
        `Cannot ${what} as the store is closed: current value is closed`,
      );
    }
  }

  /** Connects and creates the indexes once; a failed attempt is forgotten, so the next retries. */
  #connect(): Promise<Collections> {
    this.#check("connect");
    this.#ready ??= (async () => {
      const client = this.#client ??= this.#open();
      try {
        await client.connect();
        const found = collections(client.db(this.database), this.prefix);
        await createIndexes(found);
        return found;
      } catch (error) {
        this.#ready = undefined;
        if (this.#ownsClient) {
          this.#client = undefined;
          await client.close().catch(() => {});
        }
        throw new StoreError(
          "mongo",
          `Cannot connect to MongoDB at ${this.#where}: ${(error as Error).message}`,
          { cause: error },
        );
      }
    })();
    return this.#ready;
  }

  /** Runs a verb on the connected collections, turning driver failures into StoreErrors. */
  async #run<T>(what: string, fn: (collections: Collections) => Promise<T>): Promise<T> {
    this.#check(what);
    const found = await this.#connect();
    try {
      return await fn(found);
    } catch (error) {
      if (error instanceof StoreError) throw error;
      if (this.#closed) {
        throw new StoreError("mongo", `Cannot ${what} as the store was closed meanwhile`, {
          cause: error,
        });
      }
      // Bad arguments stay TypeError/RangeError; what the driver or server raised names the store.
      if (!(error instanceof MongoError)) throw error;
      throw new StoreError("mongo", `Cannot ${what} as MongoDB refused: ${error.message}`, {
        cause: error,
      });
    }
  }
}
