/**
 * A wrapper around a real store (memory, a SQLite file, …) whose chosen verbs fail on demand,
 * for the processor's failure paths. Everything else goes straight to the wrapped store, so
 * what the tests check afterwards is the real store's state, not a mock's. @module
 */

import type {
  ClaimRequest,
  ClaimResult,
  FindOptions,
  JobQuery,
  JobStats,
  Lease,
  MetricsSample,
  NewJob,
  RemoveFilter,
  Settlement,
  SettleResult,
  Store,
  StoreMessage,
  SubscribeOptions,
  WorkerRecord,
} from "../src/store.ts";
import { StoreError } from "../src/store.ts";
import type { Job, LogLine } from "../src/job.ts";

/** The verbs that can be made to fail (every asynchronous one but `close`). */
export type Verb =
  | "add"
  | "claim"
  | "renew"
  | "settle"
  | "recover"
  | "get"
  | "find"
  | "count"
  | "stats"
  | "remove"
  | "cancel"
  | "appendLogs"
  | "logs"
  | "requeue"
  | "heartbeat"
  | "workers"
  | "publish"
  | "recordMetrics"
  | "metrics";

/**
 * How a broken verb fails:
 * - `reject`: at once, before it reaches the store (the connection is refused);
 * - `hang`: no answer until `heal()`, then it rejects (a connection that died silently);
 * - `lose-reply`: the store does the work, the caller gets an error (the reply was lost).
 */
export type FailureMode = "reject" | "hang" | "lose-reply";

interface Hung {
  verb: Verb;
  reject(error: unknown): void;
}

/** A store whose verbs fail, hang or pause when told to; see {@linkcode FailureMode}. */
export class FailingStore implements Store {
  /** The real store underneath. */
  readonly inner: Store;
  readonly name: string;
  readonly maxInFlight?: number;
  /** Every verb called through the wrapper, in call order (failed calls included). */
  readonly calls: Verb[] = [];
  /** The errors the wrapper made its callers see. */
  readonly injected: StoreError[] = [];
  #broken = new Map<Verb, FailureMode>();
  #paused = new Set<Verb>();
  #hung: Hung[] = [];
  #held: (() => void)[] = [];
  #callWaiters: { verb: Verb; resolve: () => void }[] = [];

  constructor(inner: Store) {
    this.inner = inner;
    this.name = inner.name;
    if (inner.maxInFlight !== undefined) this.maxInFlight = inner.maxInFlight;
    if (inner.subscribe) {
      this.subscribe = (signal: AbortSignal, options?: SubscribeOptions) =>
        inner.subscribe!(signal, options);
    }
    if (inner.publish) {
      this.publish = (message) => this.#call("publish", () => inner.publish!(message));
    }
    if (inner.requeue) {
      this.requeue = (id, now) => this.#call("requeue", () => inner.requeue!(id, now));
    }
    if (inner.heartbeat) {
      this.heartbeat = (worker, ttl) =>
        this.#call("heartbeat", () => inner.heartbeat!(worker, ttl));
    }
    if (inner.workers) this.workers = (now) => this.#call("workers", () => inner.workers!(now));
    if (inner.recordMetrics) {
      this.recordMetrics = (samples, now) =>
        this.#call("recordMetrics", () => inner.recordMetrics!(samples, now));
    }
    if (inner.metrics) this.metrics = (since) => this.#call("metrics", () => inner.metrics!(since));
  }

  /** Makes `verbs` fail as `mode` says until `heal()`. */
  fail(verbs: Verb | readonly Verb[], mode: FailureMode = "reject"): void {
    for (const verb of [verbs].flat()) this.#broken.set(verb, mode);
  }

  /** Every verb works again; calls that hang reject now, as a dead connection's do. */
  heal(): void {
    this.#broken.clear();
    for (const { verb, reject } of this.#hung.splice(0)) reject(this.#error(verb, "lost"));
  }

  /** Holds calls of `verbs` before they reach the store, until `release()` lets them through. */
  hold(verbs: Verb | readonly Verb[]): void {
    for (const verb of [verbs].flat()) this.#paused.add(verb);
  }

  /** Lets held calls through, in call order, and stops holding new ones. */
  release(): void {
    this.#paused.clear();
    for (const release of this.#held.splice(0)) release();
  }

  /** How many calls of `verb` were made. */
  callsOf(verb: Verb): number {
    return this.calls.filter((called) => called === verb).length;
  }

  /** Resolves when `verb` is next called (whether or not the call then fails). */
  nextCall(verb: Verb): Promise<void> {
    return new Promise((resolve) => this.#callWaiters.push({ verb, resolve }));
  }

  add(jobs: readonly NewJob[]): Promise<Job[]> {
    return this.#call("add", () => this.inner.add(jobs));
  }

  claim(request: ClaimRequest): Promise<ClaimResult> {
    return this.#call("claim", () => this.inner.claim(request));
  }

  renew(leases: readonly Lease[], leaseMs: number, now: number): Promise<boolean[]> {
    return this.#call("renew", () => this.inner.renew(leases, leaseMs, now));
  }

  settle(settlements: readonly Settlement[], next?: ClaimRequest): Promise<SettleResult> {
    return this.#call("settle", () => this.inner.settle(settlements, next));
  }

  recover(now: number): Promise<Job[]> {
    return this.#call("recover", () => this.inner.recover(now));
  }

  get(id: string): Promise<Job | undefined> {
    return this.#call("get", () => this.inner.get(id));
  }

  find(query: JobQuery, options: FindOptions): Promise<Job[]> {
    return this.#call("find", () => this.inner.find(query, options));
  }

  count(query: JobQuery): Promise<number> {
    return this.#call("count", () => this.inner.count(query));
  }

  stats(): Promise<JobStats> {
    return this.#call("stats", () => this.inner.stats());
  }

  remove(filter: RemoveFilter): Promise<number> {
    return this.#call("remove", () => this.inner.remove(filter));
  }

  cancel(id: string, now: number): Promise<Job | undefined> {
    return this.#call("cancel", () => this.inner.cancel(id, now));
  }

  appendLogs(id: string, lines: readonly LogLine[]): Promise<void> {
    return this.#call("appendLogs", () => this.inner.appendLogs(id, lines));
  }

  logs(id: string): Promise<LogLine[]> {
    return this.#call("logs", () => this.inner.logs(id));
  }

  close(): Promise<void> {
    this.release();
    this.heal();
    return this.inner.close();
  }

  subscribe?: (signal: AbortSignal, options?: SubscribeOptions) => ReadableStream<StoreMessage>;
  publish?: (message: StoreMessage) => Promise<void>;
  requeue?: (id: string, now: number) => Promise<Job | undefined>;
  heartbeat?: (worker: WorkerRecord, ttlMs: number) => Promise<void>;
  workers?: (now: number) => Promise<WorkerRecord[]>;
  recordMetrics?: (samples: readonly MetricsSample[], now: number) => Promise<void>;
  metrics?: (since: number) => Promise<MetricsSample[]>;

  async #call<T>(verb: Verb, forward: () => Promise<T>): Promise<T> {
    this.calls.push(verb);
    for (const waiter of this.#callWaiters.filter((w) => w.verb === verb)) {
      this.#callWaiters.splice(this.#callWaiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    if (this.#paused.has(verb)) await new Promise<void>((resolve) => this.#held.push(resolve));
    switch (this.#broken.get(verb)) {
      case "reject":
        throw this.#error(verb, "refused");
      case "hang":
        return await new Promise<never>((_, reject) => this.#hung.push({ verb, reject }));
      case "lose-reply":
        await forward();
        throw this.#error(verb, "lost");
      default:
        return await forward();
    }
  }

  #error(verb: Verb, what: "refused" | "lost"): StoreError {
    const error = new StoreError(
      this.name,
      what === "refused"
        ? `Cannot ${verb} as the store is down (injected by the test)`
        : `Cannot ${verb} as the connection was lost before the reply (injected by the test)`,
    );
    this.injected.push(error);
    return error;
  }
}
