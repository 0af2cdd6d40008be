/**
 * `kinetik()`: the seed's entry point, a queue on a store (memory by default). @module
 */

import { Queue, type QueueOptions } from "./queue.ts";
import type { Store } from "./store.ts";

/**
 * Creates a queue. The first argument may be the options when no store is given.
 *
 * @param store where jobs live (default: a new `MemoryStore`)
 * @param options `interval` (default "10s"), `lease` (default "30s"), `concurrency` (default 1)
 * @returns the queue
 *
 * @example A queue in memory
 * ```ts
 * import { kinetik } from "../mod.ts";
 * const queue = kinetik({ interval: 500 });
 * queue.define("send email").tag("messaging").action(async () => {});
 * if (queue.tags.join() !== "messaging") throw new Error("expected the messaging tag");
 * await queue.close();
 * ```
 */
export function kinetik(store?: Store | QueueOptions, options?: QueueOptions): Queue {
  return new Queue(store, options);
}
