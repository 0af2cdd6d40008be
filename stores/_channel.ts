/**
 * In-process pub/sub for the memory store: every open subscription is a `ReadableStream`
 * that ends when its signal aborts or the channel closes. @module
 */

interface Subscription<T> {
  controller: ReadableStreamDefaultController<T>;
  signal: AbortSignal;
  end: () => void;
}

/** A fan-out of messages to every open subscription in this process. */
export class Channel<T> {
  #subscriptions = new Set<Subscription<T>>();

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
          if (!subscription || !this.#subscriptions.delete(subscription)) return;
          signal.removeEventListener("abort", end);
          try {
            controller.close();
          } catch {
            // Already closed or cancelled by the reader.
          }
        };
        subscription = { controller, signal, end };
        this.#subscriptions.add(subscription);
        signal.addEventListener("abort", end, { once: true });
      },
      cancel: () => subscription?.end(),
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

  /** Ends every subscription. */
  close(): void {
    for (const subscription of [...this.#subscriptions]) subscription.end();
  }
}
