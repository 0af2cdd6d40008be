/**
 * Job events on their way out: held for a moment and sent by the next settle or claim this
 * store runs (its `pg_notify` in a CTE of that statement), or by a statement of their own
 * when none comes soon; either way only when another store listens. @module
 */

/*
 * Why. A processor publishes the events of each settle (completed, started, …) right after
 * it; sent alone they cost a round trip and a statement per settle, as much as the settle
 * itself at concurrency 1. The next settle comes within a job's run time, so the events ride
 * along with it and leave at its commit. A job that runs longer than `DELAY_MS` (or an idle
 * queue) has its events sent alone after that delay; `publish()` resolves once they are sent.
 *
 * Order: one carrying statement at a time (a second settle in flight carries nothing), so
 * events leave in the order they were published.
 *
 * Who hears them: the carrying statement calls `listening()` (see `_schema.ts` and
 * `_listeners.ts`), which tells whether a store other than this one has registered a LISTEN;
 * when none has (a lone worker, a producer nobody watches), the NOTIFY is skipped and no
 * listener backend is woken for it. Streams of this store with another origin than the
 * events' (two queues on one store) force the send.
 */

/** How long events wait for a statement to carry them before they are sent alone. */
export const DELAY_MS = 5;

/** Events taken by a statement: its parameters, and what it reports back. */
export interface Carried {
  /** The payloads, in order. */
  payloads: string[];
  /** Send them whatever `listening()` says (a stream of this store wants them). */
  force: boolean;
  /** The statement committed: the events left. */
  done(): void;
  /** The statement failed: the events go back to the front of the outbox. */
  failed(): void;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** The held events of one store. */
export class Outbox {
  #pending: string[] = [];
  #force = false;
  #waiters: Waiter[] = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #isCarrying = false;
  #send: (payloads: string[], force: boolean) => Promise<void>;

  /** @param send sends payloads by a statement of their own */
  constructor(send: (payloads: string[], force: boolean) => Promise<void>) {
    this.#send = send;
  }

  /** Holds `payloads` for the next statement; resolves once they are sent. */
  add(payloads: readonly string[], force: boolean): Promise<void> {
    this.#pending.push(...payloads);
    this.#force ||= force;
    const sent = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return sent;
  }

  /** The held events for a statement to carry, or `undefined` (none, or another carries). */
  take(): Carried | undefined {
    if (this.#isCarrying || this.#pending.length === 0) return undefined;
    const { payloads, force, waiters } = this.#takeAll();
    return {
      payloads,
      force,
      done: () => {
        this.#isCarrying = false;
        for (const waiter of waiters) waiter.resolve();
        this.#schedule();
      },
      failed: () => {
        this.#isCarrying = false;
        this.#pending = payloads.concat(this.#pending);
        this.#force ||= force;
        this.#waiters = waiters.concat(this.#waiters);
        this.#schedule();
      },
    };
  }

  /** Sends what is held now, by a statement of its own; resolves once it is sent. */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#isCarrying || this.#pending.length === 0) return;
    const { payloads, force, waiters } = this.#takeAll();
    try {
      await this.#send(payloads, force);
      for (const waiter of waiters) waiter.resolve();
    } catch (error) {
      // Sent alone and failed: the publishers hear of it, as they would of a failed NOTIFY.
      for (const waiter of waiters) waiter.reject(error);
    } finally {
      this.#isCarrying = false;
      this.#schedule();
    }
  }

  /** Rejects every held event's `publish()` and forgets them (the store closes). */
  drop(error: Error): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    for (const waiter of this.#waiters) waiter.reject(error);
    this.#pending = [];
    this.#waiters = [];
  }

  /** Everything held, marked as being carried. */
  #takeAll(): { payloads: string[]; force: boolean; waiters: Waiter[] } {
    const taken = { payloads: this.#pending, force: this.#force, waiters: this.#waiters };
    this.#pending = [];
    this.#force = false;
    this.#waiters = [];
    this.#isCarrying = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    return taken;
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#isCarrying || this.#pending.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, DELAY_MS);
  }
}
