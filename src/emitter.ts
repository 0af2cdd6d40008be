/**
 * A small typed event emitter. Unlike `node:events`, a listener that throws (or rejects)
 * never breaks the emitter's caller: the error goes to `onListenerError`, because the caller
 * is usually a processor loop that must keep running. @module
 */

// deno-lint-ignore no-explicit-any
type Listener = (...args: any[]) => unknown;

/**
 * The shape an emitter's event map must have: each event name maps to its listeners'
 * argument tuple. An interface fits as it is, with no index signature, so an event name
 * that is not in the map is a type error rather than a listener that never runs.
 */
export type EventMap<Events> = { [E in keyof Events]: unknown[] };

/**
 * A typed emitter with the seed's `on` / `once` / `off` / `emit`, the base of
 * {@linkcode Queue} and {@linkcode Task}. A listener that throws or rejects never reaches the
 * code that emitted: its error goes to `onListenerError` (on a queue, the `error` event).
 */
export class Emitter<Events extends EventMap<Events>> {
  #listeners = new Map<keyof Events, Listener[]>();
  #onListenerError: (error: unknown, event: string) => void;

  /**
   * An emitter with no listeners.
   *
   * @param onListenerError receives what a listener threw (default: `console.error`)
   */
  constructor(onListenerError?: (error: unknown, event: string) => void) {
    this.#onListenerError = onListenerError ??
      ((error, event) => console.error(`kinetik: a "${event}" listener threw:`, error));
  }

  /** Adds a listener; returns this emitter. */
  on<E extends keyof Events>(event: E, listener: (...args: Events[E]) => unknown): this {
    const list = this.#listeners.get(event);
    if (list) list.push(listener);
    else this.#listeners.set(event, [listener]);
    return this;
  }

  /** Adds a listener that runs at most once. */
  once<E extends keyof Events>(event: E, listener: (...args: Events[E]) => unknown): this {
    const wrapper = (...args: Events[E]) => {
      this.off(event, wrapper);
      return listener(...args);
    };
    (wrapper as { listener?: unknown }).listener = listener;
    return this.on(event, wrapper);
  }

  /** Removes a listener added with `on` or `once`. */
  off<E extends keyof Events>(event: E, listener: (...args: Events[E]) => unknown): this {
    const list = this.#listeners.get(event);
    if (!list) return this;
    const index = list.findIndex((l) =>
      l === listener || (l as { listener?: unknown }).listener === listener
    );
    if (index >= 0) list.splice(index, 1);
    if (list.length === 0) this.#listeners.delete(event);
    return this;
  }

  /** Whether anyone listens to `event`. */
  hasListeners(event: keyof Events): boolean {
    return this.#listeners.has(event);
  }

  /** Calls every listener of `event`; returns whether there was one. */
  emit<E extends keyof Events>(event: E, ...args: Events[E]): boolean {
    const list = this.#listeners.get(event);
    if (!list) return false;
    // A listener may add or remove listeners (`once` does), so several are called from a
    // copy of the list; one alone needs no copy, which saves an array per job event.
    if (list.length === 1) this.#call(list[0], event, args);
    else for (const listener of [...list]) this.#call(listener, event, args);
    return true;
  }

  #call<E extends keyof Events>(
    listener: (...args: Events[E]) => unknown,
    event: E,
    args: Events[E],
  ): void {
    try {
      const result = listener(...args);
      if (result instanceof Promise) {
        result.catch((error) => this.#onListenerError(error, String(event)));
      }
    } catch (error) {
      this.#onListenerError(error, String(event));
    }
  }
}
