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
/** The shortest life of a `subscribers` row (ms), whatever the retention. */
const MIN_SUBSCRIBER_TTL = 10_000;

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
 * Job events are written only while another connection subscribes (the store contract lets a
 * store drop an event nobody else would receive): each subscribed connection keeps a row in
 * `subscribers`, and the transaction that would write job events reads that table first. It
 * is safe because both sides go through the one write lock: a subscriber commits its row and
 * reads its cursor in one transaction, so every later writer sees the row, and whatever a
 * writer committed before it is behind the cursor, never delivered to it anyway. A row expires
 * unless refreshed (a subscriber's poll does every quarter of the time), so a killed process's
 * row stops costing writes; a subscriber that polls less often than that also lets rows it
 * has not read be pruned (retention, below), which is why the expiry is the retention age.
 * At concurrency 1 in one process this drops the events `INSERT`, its JSON and a page of the
 * transaction. The wake-ups the store's own verbs write (an add's, a retry's) follow the same
 * rule by the same argument: only another connection's processors read them from the table.
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
      this.#cursor = this.#statements.transaction(() => {
        this.#register();
        return this.#lastId();
      });
      this.#schedule(this.#interval);
    },
    onEmpty: () => {
      this.#stop();
      this.#unregister();
    },
  });
  /** When this connection's `subscribers` row is due for a refresh (ms since the epoch). */
  #refreshAt = 0;
  /** Whether another connection subscribes, as read in the current transaction. */
  #heard: boolean | undefined;
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
  /** When the oldest job event in `#riders` was queued (ms since the epoch). */
  #ridersSince = 0;

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
      if (this.#riders.push(message) === 1) this.#ridersSince = Date.now();
      this.#ridden ??= Promise.withResolvers();
      this.#rideTimer ??= setTimeout(this.#onRideTimer, RIDE_MS);
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
    if (messages.length > 0) this.transaction(() => this.insert(messages));
    else if (this.#riders.length > 0) this.#rideAlone();
  }

  /**
   * Runs `fn` in a write transaction, with the job events waiting to ride; the messages it
   * {@linkcode insert}ed reach this process's subscribers once it commits, and nobody when it
   * rolls back (the job events then wait for the next one).
   */
  transaction<T>(fn: () => T): T {
    const riders = this.#riders;
    const ridden = this.#ridden;
    this.#heard = undefined;
    try {
      const result = this.#statements.transaction(() => {
        const result = fn();
        if (riders.length > 0) {
          this.#riders = [];
          this.#ridden = undefined;
          if (this.#othersListen()) this.insert(riders);
          else if (this.#subscribers.hasSubscribers) this.#uncommitted.push(...riders);
        }
        return result;
      });
      for (const message of this.#uncommitted) this.#subscribers.send(message);
      if (riders.length > 0) {
        // The ride timer stays armed: clearing and setting it again per transaction cost a
        // timer per job at concurrency 1. When it fires it looks at the riders waiting then.
        if (this.#riders.length > 0) this.#ridersSince = Date.now();
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
      this.#heard = undefined;
    }
  }

  /**
   * Writes the job events that found no transaction to ride on, or with no other subscriber
   * only hands them to this connection's own; a failure rejects them.
   */
  /** The ride timer: job events still waiting after `RIDE_MS` go alone. */
  #onRideTimer = (): void => {
    this.#rideTimer = undefined;
    if (this.#riders.length === 0) return;
    const wait = this.#ridersSince + RIDE_MS - Date.now();
    if (wait > 0) this.#rideTimer = setTimeout(this.#onRideTimer, wait);
    else this.#rideAlone();
  };

  #rideAlone(): void {
    clearTimeout(this.#rideTimer);
    this.#rideTimer = undefined;
    if (this.#riders.length === 0) return;
    const ridden = this.#ridden;
    try {
      // Read outside a transaction: a subscriber that commits its row after this read starts
      // after the changes these events report, so it would not have received them.
      this.#heard = undefined;
      if (this.#othersListen()) return this.transaction(() => {});
      const riders = this.#riders;
      this.#riders = [];
      this.#ridden = undefined;
      for (const message of riders) this.#subscribers.send(message);
      ridden?.resolve();
    } catch (error) {
      this.#riders = [];
      this.#ridden = undefined;
      ridden?.reject(error);
    }
  }

  /**
   * Writes the wake-ups of work a verb made ready, for the processors of other connections:
   * with none subscribed (see above) they go to this connection's subscribers only. Only
   * inside {@linkcode transaction}.
   */
  wake(messages: readonly StoreMessage[]): void {
    if (messages.length === 0) return;
    if (this.#othersListen()) this.insert(messages);
    else if (this.#subscribers.hasSubscribers) this.#uncommitted.push(...messages);
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

  /**
   * Whether a connection other than this one subscribes to the file's messages; read once per
   * transaction.
   */
  #othersListen(): boolean {
    return this.#heard ??= this.#statements.get(
      "SELECT 1 FROM subscribers WHERE origin <> ? AND expires > ? LIMIT 1",
    ).get(this.#origin, Date.now()) !== undefined;
  }

  /** Records (or refreshes) this connection's `subscribers` row. */
  #register(): void {
    const ttl = Math.max(this.#retention.maxAge, MIN_SUBSCRIBER_TTL);
    const now = Date.now();
    this.#statements.get(
      `INSERT INTO subscribers (origin, expires) VALUES (?, ?)
       ON CONFLICT (origin) DO UPDATE SET expires = excluded.expires`,
    ).run(this.#origin, now + ttl);
    this.#refreshAt = now + ttl / 4;
  }

  /** Drops this connection's row; a failure leaves it to expire. */
  #unregister(): void {
    try {
      this.#statements.get("DELETE FROM subscribers WHERE origin = ?").run(this.#origin);
    } catch {
      // The row expires on its own.
    }
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
    if (Date.now() >= this.#refreshAt) {
      try {
        this.#register();
      } catch {
        // Busy or failing: the next poll tries again, well before the row expires.
      }
    }
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
