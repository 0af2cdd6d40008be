/**
 * The Redis store: every verb of the store contract is one Lua script (see
 * `stores/redis/_scripts/`), so each stays atomic on a shared Redis, and a busy processor
 * settles its finished jobs and claims the next ones in a single round trip. Wake-ups and
 * job events travel over pub/sub on a dedicated connection. All keys of a queue share one
 * hash tag, so the store runs on Redis Cluster unchanged.
 *
 * @example Opening a Redis store
 * ```ts ignore
 * import { kinetik } from "@kinetik/kinetik";
 * import { RedisStore } from "@kinetik/kinetik/stores/redis";
 *
 * const queue = kinetik(new RedisStore({ url: "redis://:secret@127.0.0.1:6379/2" }));
 * ```
 *
 * @module
 */

import type { Job, LogLine } from "../src/job.ts";
import { inTimeOrder } from "../src/log_order.ts";
import type {
  ClaimRequest,
  ClaimResult,
  FindOptions,
  JobQuery,
  JobStats,
  Lease,
  LeasedJob,
  MetricsSample,
  NewJob,
  PauseTarget,
  RemoveFilter,
  ScheduleFire,
  ScheduleRecord,
  Settlement,
  SettleResult,
  Store,
  StoreMessage,
  SubscribeOptions,
  WorkerRecord,
} from "../src/store.ts";
import { STALLED_ERROR, STORE_MESSAGES, StoreError } from "../src/store.ts";
import { redisKey } from "./redis/_keys.ts";
import { LeasedRecords } from "./redis/_leased.ts";
import type { RedisScript } from "./redis/_script.ts";
import { SCRIPTS } from "./redis/_scripts.ts";
import { ScriptCalls } from "./redis/_calls.ts";
import { Subscriber } from "./redis/_subscriber.ts";
import { authStoreError, RedisAuthError } from "./redis/_auth.ts";
import * as codec from "./redis/_codec.ts";
import * as control from "./redis/_control.ts";
import { countJobs, findJobs, type ScriptRunner } from "./redis/_match.ts";
import { decodeMetrics, recordMetricsArgs } from "./redis/_metrics.ts";
import { removeJobs } from "./redis/_remove.ts";
import type { RedisClient, RedisConnection } from "./redis/_connection.ts";
import { type RedisStoreOptions, resolveOptions } from "./redis/_options.ts";

export type { RedisClient, RedisStoreOptions };

/** Jobs per add script: big adds go as several pipelined scripts, so none blocks Redis long. */
const ADD_CHUNK = 500;
/** Jobs per recover script. */
const BATCH = 1000;
/**
 * A {@linkcode Store} on Redis 6 or later, standalone or Cluster (pass an ioredis
 * `Cluster` as `client`).
 *
 * Failures reject with a {@linkcode StoreError} whose message starts with `redis:`. A
 * command waits through at most three reconnect attempts (about half a second), and at most
 * `commandTimeout`, before it rejects; a connection that falls silent is dropped after
 * `commandTimeout`; either way the connection keeps reconnecting in the background, so the
 * store works again as soon as Redis is back. A Redis that wants a password none was given
 * for (or refuses the one given) fails every call at once with "redis: authentication
 * required …" ("… failed …"), saying how to put the password in the URL.
 */
export class RedisStore implements Store {
  /** Always `"redis"`. */
  readonly name = "redis";
  /** Redis runs one settle-and-claim script while the processor handles another's jobs. */
  readonly maxInFlight = 2;
  /** The base key of this queue, `{kinetik:<prefix>}:`. */
  readonly base: string;
  #client: RedisConnection;
  /** FCALL on Redis 7, else EVALSHA (see `redis/_calls.ts`). */
  #scripts: ScriptCalls;
  #subscriber: Subscriber;
  #closed = false;
  #tokenPrefix = crypto.randomUUID().slice(0, 8);
  #claims = 0;
  #maxFinished: number;
  #leased = new LeasedRecords();
  /** Connections following the channel besides our own, as the latest script counted. */
  #listeners?: { others: number; at: number };

  /**
   * Connects (in the background) to the Redis at `options.url`, or uses `options.client`.
   *
   * @throws {TypeError} when the URL, the prefix or `commandTimeout` is malformed
   * @throws {RangeError} when `maxFinished` is not a whole number of at least 0, or
   * `commandTimeout` is not above 0
   */
  constructor(options: RedisStoreOptions = {}) {
    const settings = resolveOptions(options);
    this.base = settings.base;
    this.#maxFinished = settings.maxFinished;
    this.#client = settings.client;
    this.#scripts = new ScriptCalls(settings.client);
    this.#subscriber = new Subscriber(settings.open, redisKey(this.base, "events"));
  }

  async add(jobs: readonly NewJob[]): Promise<Job[]> {
    // A single create is one chunk: no chunk list, no Promise.all.
    if (jobs.length <= ADD_CHUNK) return await this.#addChunk(jobs);
    // Every chunk's arguments are built before the first is sent, so a job that cannot be
    // encoded fails the whole add before any chunk is saved.
    const chunks: { jobs: NewJob[]; args: codec.Arg[][] }[] = [];
    for (let i = 0; i < jobs.length; i += ADD_CHUNK) {
      const chunk = jobs.slice(i, i + ADD_CHUNK);
      chunks.push({ jobs: chunk, args: chunk.map(codec.newJobArgs) });
    }
    const replies = await Promise.all(chunks.map((c) => this.#addChunk(c.jobs, c.args)));
    return replies.flat();
  }

  /**
   * One add script call. Each job's arguments are kept: its data's JSON text also makes the
   * record's copy.
   */
  async #addChunk(
    jobs: readonly NewJob[],
    jobArgs: codec.Arg[][] = jobs.map(codec.newJobArgs),
  ): Promise<Job[]> {
    const args: codec.Arg[] = [jobs.length];
    for (const one of jobArgs) for (const arg of one) args.push(arg);
    return this.#saved(await this.#run("add jobs", SCRIPTS.add, args), jobs, jobArgs);
  }

  async claim(request: ClaimRequest): Promise<ClaimResult> {
    const suffix = this.#tokenSuffix();
    const args = codec.claimArgs(request, suffix);
    const [jobs, next, listeners] = await this.#run("claim jobs", SCRIPTS.claim, args) as unknown[];
    this.#heard(listeners);
    return this.#leased.remember(codec.decodeClaim(jobs, next, codec.leaseWrites(request, suffix)));
  }

  async renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    this.#checkOpen("renew leases");
    if (leases.length === 0) return [];
    const args: codec.Arg[] = [now + leaseMs];
    for (const lease of leases) codec.pushLeaseArgs(args, lease);
    const reply = await this.#run("renew leases", SCRIPTS.renew, args) as number[];
    return reply.map((renewed) => renewed === 1);
  }

  async settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    const known: (LeasedJob | undefined)[] = [];
    const args: codec.Arg[] = [this.#maxFinished, settlements.length];
    for (const settlement of settlements) {
      const leased = this.#leased.take(settlement.id, settlement.token);
      known.push(leased);
      codec.pushSettlementArgs(args, settlement, leased !== undefined);
    }
    const suffix = this.#tokenSuffix();
    args.push(next ? 1 : 0);
    if (next) codec.claimArgs(next, suffix, args);
    const reply = await this.#run("settle jobs", SCRIPTS.settle, args);
    const [settled, jobs, nextAt, listeners] = reply as [unknown[], unknown, unknown, unknown];
    this.#heard(listeners);
    return {
      jobs: settled.map((reply, i) =>
        reply === 1 ? codec.settledRecord(known[i]!, settlements[i]) : codec.toJob(reply)
      ),
      claimed: next
        ? this.#leased.remember(codec.decodeClaim(jobs, nextAt, codec.leaseWrites(next, suffix)))
        : { jobs: [] },
    };
  }

  async recover(now: number): Promise<Job[]> {
    const line = (message: string) => JSON.stringify({ time: now, message });
    const args = [
      now,
      BATCH,
      line(STORE_MESSAGES.stalledRequeued),
      line(STORE_MESSAGES.stalledFailed),
      JSON.stringify(STALLED_ERROR),
    ];
    const recovered: Job[] = [];
    for (;;) {
      const reply = await this.#run("recover jobs", SCRIPTS.recover, args) as unknown[];
      for (const record of reply) recovered.push(codec.toJob(record)!);
      if (reply.length < BATCH) return recovered;
    }
  }

  async get(id: string): Promise<Job | undefined> {
    const [reply] = await this.#run("get a job", SCRIPTS.fetch, [id]) as unknown[];
    return codec.toJob(reply);
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return findJobs(this.#runner, query, options);
  }

  count(query: JobQuery): Promise<number> {
    return countJobs(this.#runner, query);
  }

  async stats(): Promise<JobStats> {
    return codec.decodeStats(await this.#run("read stats", SCRIPTS.stats, []));
  }

  /** In script calls of at most 100 jobs each (see `_remove.ts`). */
  remove(filter: RemoveFilter): Promise<number> {
    this.#checkOpen("remove jobs");
    return removeJobs(this.#runner, filter);
  }

  async removeJob(id: string): Promise<Job | undefined> {
    return codec.toJob(await this.#run("remove a job", SCRIPTS.removeJob, [id]));
  }

  async promote(id: string, now: number): Promise<Job | undefined> {
    const line = JSON.stringify({ time: now, message: STORE_MESSAGES.promoted });
    return codec.toJob(await this.#run("promote a job", SCRIPTS.promote, [id, line]));
  }

  async cancel(id: string, now: number): Promise<Job | undefined> {
    const line = JSON.stringify({ time: now, message: STORE_MESSAGES.cancelled });
    return codec.toJob(
      await this.#run("cancel a job", SCRIPTS.cancel, [id, now, line]),
    );
  }

  async requeue(id: string, now: number): Promise<Job | undefined> {
    const line = JSON.stringify({ time: now, message: STORE_MESSAGES.requeued });
    return codec.toJob(await this.#run("requeue a job", SCRIPTS.requeue, [id, line]));
  }

  async appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    this.#checkOpen("append logs");
    if (lines.length === 0) return;
    const args = [id, ...lines.map((line) => JSON.stringify(line))];
    await this.#run("append logs", SCRIPTS.appendLogs, args);
  }

  async logs(id: string): Promise<LogLine[]> {
    this.#checkOpen("read logs");
    const lines = await this.#run("read logs", SCRIPTS.logs, [id]);
    return inTimeOrder(codec.decodeLogs(lines as string[]));
  }

  /**
   * Messages from every process on this queue (pub/sub on a dedicated connection, opened
   * on the first call), until `signal` aborts or the store closes.
   *
   * @throws {StoreError} when the store is closed
   */
  subscribe(signal: AbortSignal, options: SubscribeOptions = {}): ReadableStream<StoreMessage> {
    this.#checkOpen("subscribe");
    return this.#subscriber.stream(signal, options.origin);
  }

  /**
   * Publishes on the queue's channel. A job event nobody else would receive is dropped:
   * the add, claim and settle scripts report how many connections follow the channel
   * (PUBSUB NUMSUB, read in the same atomic step as the change the event reports), so
   * when the only follower is this store's own connection and no other local stream than
   * the sender's listens, the event goes nowhere and costs a PUBLISH plus its echo. A
   * process that subscribes and then reads a job cannot miss that job's later events:
   * either the script ran before the subscription and the read sees its outcome, or it
   * counted the new subscriber. Counts older than a second are not trusted, nor any on
   * Redis Cluster, where NUMSUB counts one node's subscribers only.
   */
  async publish(message: StoreMessage): Promise<void> {
    this.#checkOpen("publish");
    if (message.type === "event" && this.#isUnheard(message.origin)) return;
    await this.#subscriber.ready;
    const channel = redisKey(this.base, "events");
    await this.#wrap("publish", this.#client.call(["PUBLISH", channel, JSON.stringify(message)]));
  }

  async heartbeat(worker: WorkerRecord, ttlMs: number): Promise<void> {
    const args = [worker.id, JSON.stringify(worker), worker.seen + ttlMs];
    await this.#run("record a heartbeat", SCRIPTS.heartbeat, args);
  }

  async workers(now: number): Promise<WorkerRecord[]> {
    const reply = await this.#run("list workers", SCRIPTS.workers, [now]) as (string | null)[];
    return reply.filter((text): text is string => text !== null).map((text) => JSON.parse(text));
  }

  pause(target: PauseTarget): Promise<void> {
    return control.pause(this.#runner, target);
  }

  resume(target: PauseTarget): Promise<void> {
    return control.resume(this.#runner, target);
  }

  paused(): Promise<PauseTarget> {
    return control.paused(this.#runner);
  }

  schedule(schedule: ScheduleRecord): Promise<ScheduleRecord> {
    return control.schedule(this.#runner, schedule);
  }

  unschedule(id: string): Promise<boolean> {
    return control.unschedule(this.#runner, id);
  }

  schedules(): Promise<ScheduleRecord[]> {
    return control.schedules(this.#runner);
  }

  /** The compare-and-set and the add run in one script (see `_scripts/schedules.ts`). */
  async fire(fire: ScheduleFire): Promise<Job[] | undefined> {
    const { args, jobArgs } = control.fireArgs(fire);
    const reply = await this.#run("fire a schedule", SCRIPTS.fire, args);
    return reply ? this.#saved(reply, fire.jobs, jobArgs) : undefined;
  }

  async recordMetrics(samples: readonly MetricsSample[], now: number): Promise<void> {
    await this.#run("record metrics", SCRIPTS.recordMetrics, recordMetricsArgs(samples, now));
  }

  async metrics(since: number): Promise<MetricsSample[]> {
    return decodeMetrics(await this.#run("read metrics", SCRIPTS.readMetrics, [since]));
  }

  /** Ends the subscriptions and closes the connections (a client passed in stays open). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#subscriber.close();
    await this.#client.quit(); // Leaves a client passed in open.
  }

  /** `#run`, for helpers that run scripts on this store. */
  #runner: ScriptRunner = (what, script, args) => this.#run(what, script, args);

  /**
   * The records of an add (or fire) reply `{ saved, listeners }`: per job its new id, built
   * into a record here, or the existing job holding its key.
   */
  #saved(reply: unknown, jobs: readonly NewJob[], jobArgs: codec.Arg[][]): Job[] {
    const [saved, listeners] = reply as [unknown[], unknown];
    this.#heard(listeners);
    return saved.map((one, i) =>
      typeof one === "string"
        ? codec.newJobRecord(one, jobs[i], jobArgs[i])
        : codec.publicJob(codec.decodeJob(one)!)
    );
  }

  /** Records a script's count of the channel's followers. */
  #heard(listeners: unknown): void {
    if (typeof listeners !== "number") return;
    const others = listeners - (this.#subscriber.isSubscribed ? 1 : 0);
    this.#listeners = { others, at: Date.now() };
  }

  /** Whether an event of `origin` would reach no one (see `publish`). */
  #isUnheard(origin: string): boolean {
    const known = this.#listeners;
    return known !== undefined && known.others <= 0 && Date.now() - known.at < 1000 &&
      !this.#client.isCluster &&
      !this.#subscriber.isListenedBesides(origin);
  }

  #tokenSuffix(): string {
    return `${this.#tokenPrefix}${(++this.#claims).toString(36)}`;
  }

  #checkOpen(what: string): void {
    if (this.#closed) throw new StoreError(this.name, `Cannot ${what} as the store is closed`);
  }

  /** Runs a script, after any SUBSCRIBE this process is waiting for (so it hears itself). */
  async #run(what: string, script: RedisScript, args: readonly codec.Arg[]): Promise<unknown> {
    this.#checkOpen(what);
    await this.#subscriber.ready;
    return await this.#wrap(what, this.#scripts.run(script, this.base, args));
  }

  async #wrap<T>(what: string, promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      if (error instanceof RedisAuthError) throw authStoreError(error, what);
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreError(this.name, `Cannot ${what} as Redis failed: ${reason}`, {
        cause: error,
      });
    }
  }
}
