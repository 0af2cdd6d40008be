/**
 * Metrics off, for measuring what they cost: a store whose `recordMetrics` is hidden makes the
 * queue count nothing (see `src/metrics_recorder.ts`), so the same store and code run with and
 * without counting. Only the benchmarks use it. @module
 */

import type { Store } from "../mod.ts";

/** `store` with `recordMetrics` hidden (an own property `undefined` over the class's method). */
export function withoutMetrics<S extends Store>(store: S): S {
  Object.defineProperty(store, "recordMetrics", { value: undefined, configurable: true });
  return store;
}
