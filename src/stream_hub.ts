/**
 * Fans values out to any number of `ReadableStream`s. Each stream buffers what its reader has
 * not read yet; cancelling a stream (or `close()` on the hub) detaches it. @module
 */

interface Outlet<T> {
  controller: ReadableStreamDefaultController<T>;
  accept: (value: T) => boolean;
  /** Closes the stream after this value when it returns true. */
  isLast?: (value: T) => boolean;
}

/** A broadcaster of values to streams. */
export class StreamHub<T> {
  #outlets = new Set<Outlet<T>>();

  /** Whether any stream is open. */
  get isListened(): boolean {
    return this.#outlets.size > 0;
  }

  /** How many streams are open. */
  get size(): number {
    return this.#outlets.size;
  }

  /**
   * A new stream of the values that pass `accept`, closing after a value that `isLast` says
   * is the last one. `onCancel` runs when the reader cancels or the hub closes.
   */
  open(
    accept: (value: T) => boolean = () => true,
    isLast?: (value: T) => boolean,
    onStart?: (
      outlet: { push(value: T): void; close(): void; error(reason: unknown): void },
    ) => void,
  ): ReadableStream<T> {
    let outlet: Outlet<T>;
    return new ReadableStream<T>({
      start: (controller) => {
        outlet = { controller, accept, isLast };
        this.#outlets.add(outlet);
        onStart?.({
          push: (value) => this.#deliver(outlet, value),
          close: () => this.#detach(outlet, (c) => c.close()),
          error: (reason) => this.#detach(outlet, (c) => c.error(reason)),
        });
      },
      cancel: () => {
        this.#outlets.delete(outlet);
      },
    });
  }

  /** Sends a value to every stream that accepts it. */
  push(value: T): void {
    for (const outlet of this.#outlets) {
      if (outlet.accept(value)) this.#deliver(outlet, value);
    }
  }

  /** Closes every stream. */
  close(): void {
    for (const outlet of [...this.#outlets]) this.#detach(outlet, (c) => c.close());
  }

  #deliver(outlet: Outlet<T>, value: T): void {
    if (!this.#outlets.has(outlet)) return;
    outlet.controller.enqueue(value);
    if (outlet.isLast?.(value)) this.#detach(outlet, (c) => c.close());
  }

  #detach(outlet: Outlet<T>, end: (controller: ReadableStreamDefaultController<T>) => void): void {
    if (!this.#outlets.delete(outlet)) return;
    try {
      end(outlet.controller);
    } catch {
      // Already closed by the reader.
    }
  }
}
