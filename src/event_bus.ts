/**
 * The queue's link to every other process on the same store.
 *
 * Job events happen in one process (the one running the job, or the one cancelling it) and
 * are wanted in all of them: by `queue.events()` streams, `watch()`, and task listeners. The
 * bus delivers an event locally at once, and — when the store carries messages — publishes it
 * in batches (one message per microtask) so that other processes deliver it too. Messages
 * from the store also carry wake-ups for idle processors and cancels of running jobs. A store
 * without `subscribe` simply gives local events only. @module
 */

import { sleep, systemClock } from "./clock.ts";
import { type EventFilter, isFinalEvent, matchEvents, type QueueEvent } from "./events.ts";
import type { Store, StoreMessage } from "./store.ts";
import { StreamHub } from "./stream_hub.ts";

/** Where the bus delivers what it receives. */
export interface BusHandlers {
  /** A job event, local or remote; `error` is the original error of a local failure. */
  dispatch(event: QueueEvent, error?: unknown): void;
  /** New work, maybe for `task`. */
  wake(task?: string): void;
  /** A job event of this process, after its local delivery (not called for remote ones). */
  emitted?(event: QueueEvent): void;
  /** Abort the local run of job `id`, if any. */
  cancel(id: string): void;
  reportError(error: unknown): void;
}

/** Whether a message from the store has the shape of a job event. */
function isQueueEvent(value: unknown): value is QueueEvent {
  const event = value as QueueEvent | null;
  return typeof event?.type === "string" && typeof event.job?.id === "string" &&
    typeof event.job.task === "string";
}

/** Routes job events and store messages for one queue. */
export class EventBus {
  /** Identifies this queue's messages, so it ignores its own echoes. */
  readonly origin: string = crypto.randomUUID();
  #store: Store;
  #handlers: BusHandlers;
  #hub = new StreamHub<QueueEvent>();
  #outbox: QueueEvent[] = [];
  /** Event messages on their way to the store. */
  /** Publishes not yet settled, and what `close()` waits on until they are. */
  #publishing = 0;
  #published?: PromiseWithResolvers<void>;
  #subscription?: AbortController;
  #reading?: Promise<void>;

  constructor(store: Store, handlers: BusHandlers) {
    this.#store = store;
    this.#handlers = handlers;
  }

  /** How many event streams are open (`open` and `watch` streams not yet closed or cancelled). */
  get streams(): number {
    return this.#hub.size;
  }

  /** Whether events reach other processes. */
  get isShared(): boolean {
    return typeof this.#store.subscribe === "function";
  }

  /** A job event of this process. */
  emit(event: QueueEvent, error?: unknown): void {
    this.#deliver(event, error);
    this.#handlers.emitted?.(event);
    if (!this.#store.publish) return;
    if (this.#outbox.push(event) === 1) queueMicrotask(() => this.#flush());
  }

  /** Sends a message to every process (no-op for a store without messages). */
  async publish(message: StoreMessage): Promise<void> {
    await this.#store.publish?.(message);
  }

  /** A stream of events passing `filter`; it closes after the event `isLast` accepts. */
  open(filter?: EventFilter, isLast?: (event: QueueEvent) => boolean): ReadableStream<QueueEvent>;
  open(
    filter: EventFilter | undefined,
    isLast: ((event: QueueEvent) => boolean) | undefined,
    onStart: Parameters<StreamHub<QueueEvent>["open"]>[2],
  ): ReadableStream<QueueEvent>;
  open(
    filter: EventFilter = {},
    isLast?: (event: QueueEvent) => boolean,
    onStart?: Parameters<StreamHub<QueueEvent>["open"]>[2],
  ): ReadableStream<QueueEvent> {
    this.connect();
    return this.#hub.open(matchEvents(filter), isLast, onStart);
  }

  /** A stream of one job's events that closes after its final one. */
  watch(
    id: string,
    onStart: Parameters<StreamHub<QueueEvent>["open"]>[2],
  ): ReadableStream<QueueEvent> {
    return this.open({ id }, isFinalEvent, onStart);
  }

  /** Starts listening to the store's messages (idempotent). */
  connect(): void {
    if (this.#subscription || !this.#store.subscribe) return;
    this.#subscription = new AbortController();
    this.#reading = this.#read(this.#subscription.signal);
  }

  /** Stops listening, closes every stream, flushes what is unsent. */
  async close(): Promise<void> {
    this.#flush();
    // The last events go out before the store closes under them.
    if (this.#publishing > 0) await (this.#published ??= Promise.withResolvers()).promise;
    this.#subscription ??= new AbortController(); // and no connect() after this
    this.#subscription.abort();
    await this.#reading;
    this.#hub.close();
  }

  async #read(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        const reader = this.#store.subscribe!(signal, { origin: this.origin }).getReader();
        try {
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            this.#receive(value);
          }
        } finally {
          reader.releaseLock();
        }
      } catch (error) {
        if (!signal.aborted) this.#handlers.reportError(error);
      }
      // The stream ended without being asked to (connection lost): subscribe again shortly.
      await sleep(systemClock, 200, signal);
    }
  }

  #receive(message: StoreMessage): void {
    switch (message.type) {
      case "wake":
        return this.#handlers.wake(message.task);
      case "cancel":
        return this.#handlers.cancel(message.id);
      case "event": {
        if (message.origin === this.origin) return;
        const events = Array.isArray(message.event) ? message.event : [message.event];
        // Another process (or another version, or a probe) may publish anything: an event
        // without a job is skipped, so it can neither throw here nor end the subscription.
        for (const event of events) if (isQueueEvent(event)) this.#deliver(event);
      }
    }
  }

  #onPublished = (): void => {
    if (--this.#publishing === 0) {
      this.#published?.resolve();
      this.#published = undefined;
    }
  };

  #onPublishFailed = (error: unknown): void => {
    this.#handlers.reportError(error);
    this.#onPublished();
  };

  #deliver(event: QueueEvent, error?: unknown): void {
    this.#handlers.dispatch(event, error);
    if (this.#hub.isListened) this.#hub.push(event);
  }

  #flush(): void {
    if (this.#outbox.length === 0) return;
    const event = this.#outbox;
    this.#outbox = [];
    const published = this.#store.publish?.({ type: "event", origin: this.origin, event });
    if (!published) return;
    // A count, not a set of promises: one `then` per publish on the hot path.
    this.#publishing++;
    published.then(this.#onPublished, this.#onPublishFailed);
  }
}
