/**
 * Messages between processes through the `events` table: writers insert rows, every process
 * with a subscriber polls for rows past its cursor. @module
 */

import type { StoreMessage } from "../../src/store.ts";
import { Channel } from "../_channel.ts";
import type { Statements } from "./_statements.ts";

/** Rows read per poll; a full batch polls again at once. */
const BATCH = 1000;
/** Pruning runs after this many inserts from this process. */
const PRUNE_EVERY = 512;
/** How long a job event waits for a transaction to ride on before it is written alone (ms). */
const RIDE_MS = 5;

/** How long and how many event rows are kept. */
export interface EventRetention {
  /** Rows older than this (ms) are pruned. */
  maxAge: number;
  /** At most this many newest rows are kept. */
  maxRows: number;
}

/*
 * SQLite has no notifications between processes, so each process that has at least one
 * subscriber polls the table every `interval` ms (a primary-key range read that costs a few
 * microseconds when nothing is new) and stops polling when its last subscriber leaves.
 *
 * A connection's own messages reach its own subscribers directly, right after the transaction
 * that wrote them commits, and its poll skips their bodies (the `origin` column): in one process
 * nothing waits for the timer, and nothing is parsed back that it just serialized. So messages
 * of one process arrive in the order it wrote them, and other processes' messages in the order
 * of the table; the two are interleaved in the order this process learns of them.
 *
 * Job events (`type: "event"`: what other processes' `queue.events()` and `wait()` read) ride
 * on the store's next write transaction (the settle-and-claim that follows them, usually), or
 * go alone after {@linkcode RIDE_MS}: a busy processor then commits one transaction per job
 * instead of two. Wake-ups and cancels, which another process acts on, are written at once.
 *
 * Rows are pruned by age and count, so a reader that falls further behind than the retention
 * loses the oldest messages. Pruning by age reads the system clock: it is housekeeping, not job
 * semantics, which take `now` from the caller as the store contract asks.
 */
export class EventBus {
  #statements: Statements;
  #interval: number;
  #retention: EventRetention;
  #origin = crypto.randomUUID();
  #subscribers = new Channel<StoreMessage>({
    onFirst: () => {
      this.#cursor = this.#lastId();
      this.#schedule(this.#interval);
    },
    onEmpty: () => this.#stop(),
  });
  #cursor = 0;
  /** `PRAGMA data_version` at the last read; -1 forces the next read. */
  #version = -1;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inserted = 0;
  #uncommitted: StoreMessage[] = [];
  #pending: StoreMessage[] = [];
  #flush: Promise<void> | undefined;
  /** Job events waiting for a transaction to ride on, and what their publishers await. */
  #riders: StoreMessage[] = [];
  #ridden?: PromiseWithResolvers<void>;
  #rideTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(statements: Statements, interval: number, retention: EventRetention) {
    this.#statements = statements;
    this.#interval = interval;
    this.#retention = retention;
  }

  /** A stream of every message written from now on, until `signal` aborts. */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    return this.#subscribers.subscribe(signal);
  }

  /**
   * Queues a message: a job event rides on the next transaction (see above); others
   * published in the same tick are written in one transaction.
   */
  publish(message: StoreMessage): Promise<void> {
    if (message.type === "event") {
      this.#riders.push(message);
      this.#ridden ??= Promise.withResolvers();
      this.#rideTimer ??= setTimeout(() => this.#rideAlone(), RIDE_MS);
      return this.#ridden.promise;
    }
    this.#pending.push(message);
    this.#flush ??= Promise.resolve().then(() => this.flush());
    return this.#flush;
  }

  /** Writes the queued messages now, job events too. */
  flush(): void {
    const messages = this.#pending;
    this.#pending = [];
    this.#flush = undefined;
    if (messages.length > 0 || this.#riders.length > 0) {
      this.transaction(() => this.insert(messages));
    }
  }

  /**
   * Runs `fn` in a write transaction, with the job events waiting to ride; the messages it
   * {@linkcode insert}ed reach this process's subscribers once it commits, and nobody when it
   * rolls back (the job events then wait for the next one).
   */
  transaction<T>(fn: () => T): T {
    const riders = this.#riders;
    const ridden = this.#ridden;
    try {
      const result = this.#statements.transaction(() => {
        const result = fn();
        if (riders.length > 0) {
          this.#riders = [];
          this.#ridden = undefined;
          this.insert(riders);
        }
        return result;
      });
      for (const message of this.#uncommitted) this.#subscribers.send(message);
      if (riders.length > 0) {
        clearTimeout(this.#rideTimer);
        this.#rideTimer = undefined;
        if (this.#riders.length > 0) this.#rideTimer = setTimeout(() => this.#rideAlone(), RIDE_MS);
        ridden?.resolve();
      }
      return result;
    } catch (error) {
      if (riders.length > 0 && this.#riders !== riders) {
        this.#riders = [...riders, ...this.#riders];
        this.#ridden = ridden;
      }
      throw error;
    } finally {
      this.#uncommitted = [];
    }
  }

  /** Writes the job events that found no transaction to ride on; a failure rejects them. */
  #rideAlone(): void {
    this.#rideTimer = undefined;
    if (this.#riders.length === 0) return;
    const ridden = this.#ridden;
    try {
      this.transaction(() => {});
    } catch (error) {
      this.#riders = [];
      this.#ridden = undefined;
      ridden?.reject(error);
    }
  }

  /** Writes messages; only inside {@linkcode transaction}. */
  insert(messages: readonly StoreMessage[]): void {
    const insert = this.#statements.get(
      "INSERT INTO events (origin, time, body) VALUES (?, ?, ?)",
    );
    const time = Date.now();
    for (const message of messages) insert.run(this.#origin, time, JSON.stringify(message));
    if (this.#subscribers.hasSubscribers) this.#uncommitted.push(...messages);
    this.#inserted += messages.length;
    if (this.#inserted >= PRUNE_EVERY) {
      this.#inserted = 0;
      // Two rowid ranges, not one `time < ? OR id <= …`, which scanned the whole table: ids
      // rise with time (up to the clocks of the writers), so the old rows are a prefix.
      this.#statements.get(`DELETE FROM events WHERE id <= (SELECT max(id) FROM events) - ?`)
        .run(this.#retention.maxRows);
      this.#statements.get(
        `DELETE FROM events WHERE id < coalesce(
           (SELECT id FROM events WHERE time >= ? ORDER BY id LIMIT 1),
           (SELECT max(id) + 1 FROM events))`,
      ).run(time - this.#retention.maxAge);
    }
  }

  /** Ends every subscription and the poll; writes what is still queued. */
  close(): void {
    clearTimeout(this.#rideTimer);
    this.#rideTimer = undefined;
    this.flush();
    this.#stop();
    this.#subscribers.close();
  }

  #lastId(): number {
    const row = this.#statements.get("SELECT max(id) AS id FROM events").get() as {
      id: number | null;
    };
    return row.id ?? 0;
  }

  #schedule(delay: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => this.#poll(), delay);
  }

  #stop(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #poll(): void {
    this.#stop();
    if (!this.#subscribers.hasSubscribers) return;
    let rows: { id: number; body: string | null }[];
    try {
      // data_version changes only when another connection commits: an idle tick costs a
      // pragma instead of a query (about half the CPU of an idle, subscribed process).
      const { data_version: version } = this.#statements.get("PRAGMA data_version").get() as {
        data_version: number;
      };
      if (version === this.#version) return this.#schedule(this.#interval);
      this.#version = version;
      rows = this.#statements.get(
        `SELECT id, CASE WHEN origin = ? THEN NULL ELSE body END AS body
         FROM events WHERE id > ? ORDER BY id LIMIT ?`,
      ).all(this.#origin, this.#cursor, BATCH) as { id: number; body: string | null }[];
    } catch (error) {
      this.#subscribers.error(error);
      return;
    }
    for (const row of rows) {
      this.#cursor = row.id;
      if (row.body === null) continue;
      this.#subscribers.send(JSON.parse(row.body) as StoreMessage);
    }
    if (rows.length === BATCH) this.#version = -1;
    this.#schedule(rows.length === BATCH ? 0 : this.#interval);
  }
}
