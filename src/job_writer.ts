/**
 * Saving new jobs for a queue: one store call per batch, then the announcements (`job:define`,
 * the `created` event, a wake-up for their tasks), and the count of saves in flight behind the
 * queue's `drain` event and the wait for them in `close()`. @module
 */

import type { Job } from "./job.ts";
import type { NewJob, Store } from "./store.ts";

/** Where a writer announces what it saved. */
export interface WriterHandlers {
  /** Called for each saved job, in order. */
  saved(job: Job): void;
  /** Called once per task of a saved batch. */
  wake(task: string): void;
  /** Called whenever the number of saves in flight drops to zero. */
  drain(): void;
}

/** Saves jobs and counts the saves in flight. */
export class JobWriter {
  #store: Store;
  #handlers: WriterHandlers;
  #pending = 0;
  /** What `drained` gave out while saves were in flight; made only when asked for. */
  #drained?: PromiseWithResolvers<void>;

  constructor(store: Store, handlers: WriterHandlers) {
    this.#store = store;
    this.#handlers = handlers;
  }

  /** Resolves once no save is in flight. */
  get drained(): Promise<void> {
    if (this.#pending === 0) return Promise.resolve();
    return (this.#drained ??= Promise.withResolvers()).promise;
  }

  /**
   * Announces jobs saved by this writer or elsewhere in the queue (a schedule's fire): each
   * job in order, then one wake-up per task.
   */
  announce(saved: readonly Job[]): void {
    for (const job of saved) this.#handlers.saved(job);
    if (saved.length === 1) return this.#handlers.wake(saved[0].task);
    for (const task of new Set(saved.map((job) => job.task))) this.#handlers.wake(task);
  }

  /**
   * Saves `jobs` in one store call; resolves to the stored records. With `tx` they are saved
   * inside the caller's transaction and not announced: they exist only once it commits (maybe
   * never), and the store wakes processors then.
   * @throws {TypeError} for a `tx` when the store cannot join a transaction
   */
  async save(jobs: NewJob[], tx?: unknown): Promise<Job[]> {
    if (tx !== undefined && !this.#store.canJoinTransaction) {
      throw new TypeError(
        `Cannot create job as the ${this.#store.name} store cannot join a transaction: current value of tx is ${
          typeof tx === "function"
            ? "a function"
            : typeof tx === "object" && tx !== null
            ? "an object"
            : JSON.stringify(tx) ?? String(tx)
        }`,
      );
    }
    this.#pending++;
    try {
      if (jobs.length === 0) return [];
      if (tx !== undefined) return await this.#store.add(jobs, { tx });
      const saved = await this.#store.add(jobs);
      this.announce(saved);
      return saved;
    } finally {
      if (--this.#pending === 0) {
        this.#drained?.resolve();
        this.#drained = undefined;
        this.#handlers.drain();
      }
    }
  }
}
