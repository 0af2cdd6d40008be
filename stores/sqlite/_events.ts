/**
 * Messages between processes through the `events` table: writers insert rows, every process
 * with a subscriber polls for rows past its cursor. @module
 */

import type { StoreMessage } from "../../src/store.ts";
import type { Statements } from "./_statements.ts";

/** Rows read per poll; a full batch polls again at once. */
const BATCH = 1000;
/** Pruning runs after this many inserts from this process. */
const PRUNE_EVERY = 512;

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
 * microseconds when nothing is new) and stops polling when its last subscriber leaves. Every
 * subscriber, this process's included, reads the same rows in id order, so events keep one
 * order everywhere; after this process writes rows it polls at once (a "kick"), so its own
 * subscribers see them without waiting for the timer. Rows are pruned by age and count, so a
 * reader that falls further behind than the retention loses the oldest messages.
 *
 * Pruning by age reads the system clock: it is housekeeping, not job semantics, which take
 * `now` from the caller as the store contract asks.
 */
export class EventBus {
  #statements: Statements;
  #interval: number;
  #retention: EventRetention;
  #subscribers = new Set<ReadableStreamDefaultController<StoreMessage>>();
  #cursor = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #kicked = false;
  #inserted = 0;
  #pending: StoreMessage[] = [];
  #flush: Promise<void> | undefined;

  constructor(statements: Statements, interval: number, retention: EventRetention) {
    this.#statements = statements;
    this.#interval = interval;
    this.#retention = retention;
  }

  /** A stream of every message written from now on, until `signal` aborts. */
  subscribe(signal: AbortSignal): ReadableStream<StoreMessage> {
    let self: ReadableStreamDefaultController<StoreMessage>;
    const leave = () => {
      signal.removeEventListener("abort", end);
      this.#subscribers.delete(self);
      if (this.#subscribers.size === 0) this.#stop();
    };
    const end = () => {
      leave();
      try {
        self.close();
      } catch { /* already closed */ }
    };
    return new ReadableStream<StoreMessage>({
      start: (controller) => {
        self = controller;
        if (signal.aborted) return controller.close();
        if (this.#subscribers.size === 0) {
          this.#cursor = this.#lastId();
          this.#schedule(this.#interval);
        }
        this.#subscribers.add(controller);
        signal.addEventListener("abort", end, { once: true });
      },
      cancel: leave,
    });
  }

  /** Queues a message; messages published in the same tick are written in one transaction. */
  publish(message: StoreMessage): Promise<void> {
    this.#pending.push(message);
    this.#flush ??= Promise.resolve().then(() => this.flush());
    return this.#flush;
  }

  /** Writes the queued messages now. */
  flush(): void {
    const messages = this.#pending;
    this.#pending = [];
    this.#flush = undefined;
    if (messages.length === 0) return;
    this.#statements.transaction(() => this.insert(messages));
    this.kick();
  }

  /** Writes messages inside the caller's transaction; call {@linkcode kick} after commit. */
  insert(messages: readonly StoreMessage[]): void {
    const insert = this.#statements.get("INSERT INTO events (time, body) VALUES (?, ?)");
    const time = Date.now();
    for (const message of messages) insert.run(time, JSON.stringify(message));
    this.#inserted += messages.length;
    if (this.#inserted >= PRUNE_EVERY) {
      this.#inserted = 0;
      this.#statements.get(
        `DELETE FROM events WHERE time < ? OR id <= (SELECT max(id) FROM events) - ?`,
      ).run(time - this.#retention.maxAge, this.#retention.maxRows);
    }
  }

  /** Delivers freshly written rows to this process's subscribers without waiting for the timer. */
  kick(): void {
    if (this.#subscribers.size === 0 || this.#kicked) return;
    this.#kicked = true;
    queueMicrotask(() => {
      this.#kicked = false;
      if (this.#subscribers.size > 0) this.#poll();
    });
  }

  /** Ends every subscription and the poll; writes what is still queued. */
  close(): void {
    this.flush();
    this.#stop();
    for (const controller of this.#subscribers) {
      try {
        controller.close();
      } catch { /* already closed */ }
    }
    this.#subscribers.clear();
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
    if (this.#subscribers.size === 0) return;
    let rows: { id: number; body: string }[];
    try {
      rows = this.#statements.get(
        "SELECT id, body FROM events WHERE id > ? ORDER BY id LIMIT ?",
      ).all(this.#cursor, BATCH) as { id: number; body: string }[];
    } catch (error) {
      for (const controller of this.#subscribers) controller.error(error);
      this.#subscribers.clear();
      return;
    }
    for (const row of rows) {
      this.#cursor = row.id;
      const message = JSON.parse(row.body) as StoreMessage;
      for (const controller of this.#subscribers) controller.enqueue(message);
    }
    this.#schedule(rows.length === BATCH ? 0 : this.#interval);
  }
}
