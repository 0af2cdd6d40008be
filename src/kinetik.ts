/**
 * `kinetik()`: the seed's entry point, a queue on a store (memory by default), with the
 * seed's middleware hanging off it (`kinetik.environment()`, `kinetik.cli()`). @module
 */

import { cli } from "./middleware/cli.ts";
import { environment } from "./middleware/environment.ts";
import { Queue, type QueueOptions } from "./queue.ts";
import type { Store } from "./store.ts";

/** The type of {@linkcode kinetik}: a queue factory carrying the middleware. */
export interface Kinetik {
  /**
   * Creates a queue. The first argument may be the options when no store is given.
   *
   * @param store where jobs live (default: a new `MemoryStore`)
   * @param options `interval` (default "10s"), `lease` (default "30s"), `concurrency` (default 1)
   */
  (store?: Store | QueueOptions, options?: QueueOptions): Queue;
  /** The `environment` middleware (also exported by name). */
  environment: typeof environment;
  /** The `cli` middleware (also exported by name). */
  cli: typeof cli;
}

/**
 * Creates a queue: `kinetik()` (memory store, 10s interval), `kinetik({ interval: 500 })`, or
 * `kinetik(store, options)`. As in the seed, `queue.use(kinetik.environment())` works too.
 *
 * @example A queue in memory
 * ```ts
 * import { kinetik } from "../mod.ts";
 * const queue = kinetik({ interval: 500 });
 * queue.define("send email").tag("messaging").action(async () => {});
 * queue.use(kinetik.environment([], { handleSignals: false })); // QUEUE unset: processes nothing
 * if (queue.tags.join() !== "messaging") throw new Error("expected the messaging tag");
 * await queue.close();
 * ```
 */
export const kinetik: Kinetik = Object.assign(
  (store?: Store | QueueOptions, options?: QueueOptions): Queue => new Queue(store, options),
  { environment, cli },
);
