/**
 * The sweeper of `bench:sweep --peer`, in a worker thread with its own connection to the
 * store, as another process would sweep: it sweeps until the job `last` is gone, records how
 * long each sweep took, sets `done[0]` to 1 (the claiming thread reads it between claims
 * without yielding to its event loop) and posts the durations. @module
 */

import { openStore, systemClock } from "../mod.ts";
import { resolveRetention, Sweeper } from "../src/retention.ts";

/** What the bench sends the worker. */
export interface PeerRequest {
  url: string;
  last: string;
  done: Int32Array;
}

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<PeerRequest>) => void) | null;
  postMessage(message: number[]): void;
};

scope.onmessage = async ({ data: { url, last, done } }) => {
  const store = await openStore(url);
  const sweeper = new Sweeper(store, resolveRetention({ completed: "7d" }), {
    clock: systemClock,
    interval: 0,
    reportError: (error) => console.error(error),
  });
  const sweeps: number[] = [];
  try {
    while (await store.get(last)) {
      const start = performance.now();
      await sweeper.sweep();
      sweeps.push(performance.now() - start);
    }
  } finally {
    await store.close();
    Atomics.store(done, 0, 1);
    scope.postMessage(sweeps);
  }
};
