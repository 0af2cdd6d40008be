/**
 * In-process fan-out of store messages: every open subscription is a `ReadableStream` that
 * ends when its signal aborts or the channel closes. The memory store uses it as its whole
 * pub/sub; the polling stores (SQLite, MongoDB) use it for their local subscribers, starting
 * their poll when the first one arrives and stopping it when the last one leaves. @module
 */

interface Subscription<T> {
  controller: ReadableStreamDefaultController<T>;
  signal: AbortSignal;
  end: () => void;
}

/** What a channel's owner wants to hear about its subscribers. */
export interface ChannelHooks {
  /** The first subscriber arrived (called before it is added). */
  onFirst?(): void;
  /** The last subscriber left. */
  onEmpty?(): void;
}

/** A fan-out of messages to every open subscription in this process. */
export class Channel<T> {
  #subscriptions = new Set<Subscription<T>>();
  #hooks: ChannelHooks;

  constructor(hooks: ChannelHooks = {}) {
    this.#hooks = hooks;
  }

  /** Whether anyone listens (so callers can skip building messages). */
  get hasSubscribers(): boolean {
    return this.#subscriptions.size > 0;
  }

  /** A stream of every message sent from now on, until `signal` aborts. */
  subscribe(signal: AbortSignal): ReadableStream<T> {
    let subscription: Subscription<T> | undefined;
    return new ReadableStream<T>({
      start: (controller) => {
        if (signal.aborted) {
          controller.close();
          return;
        }
        const end = () => {
          if (!subscription || !this.#remove(subscription)) return;
          try {
            controller.close();
          } catch {
            // Already closed or cancelled by the reader.
          }
        };
        subscription = { controller, signal, end };
        if (this.#subscriptions.size === 0) this.#hooks.onFirst?.();
        this.#subscriptions.add(subscription);
        signal.addEventListener("abort", end, { once: true });
      },
      cancel: () => {
        if (subscription) this.#remove(subscription);
      },
    });
  }

  /**
   * Delivers `message` to every subscription. The message object itself is shared between
   * subscribers: in one process nothing crosses a wire, and copying every job event would
   * cost more than the queue itself.
   */
  send(message: T): void {
    for (const subscription of this.#subscriptions) {
      subscription.controller.enqueue(message);
    }
  }

  /** Ends every subscription with an error (the source of messages failed). */
  error(reason: unknown): void {
    for (const subscription of [...this.#subscriptions]) {
      if (this.#remove(subscription)) subscription.controller.error(reason);
    }
  }

  /** Ends every subscription. */
  close(): void {
    for (const subscription of [...this.#subscriptions]) subscription.end();
  }

  #remove(subscription: Subscription<T>): boolean {
    if (!this.#subscriptions.delete(subscription)) return false;
    subscription.signal.removeEventListener("abort", subscription.end);
    if (this.#subscriptions.size === 0) this.#hooks.onEmpty?.();
    return true;
  }
}
