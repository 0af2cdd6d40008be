/**
 * Small helpers shared by the core's tests. @module
 */

import { MemoryStore, type Queue, type Store } from "../mod.ts";
import type { Job, JobStatus, QueueEvent } from "../mod.ts";

/** Polls `predicate` every 2 ms until it holds; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Waits until job `id` has `status`. */
export async function waitForStatus(queue: Queue, id: string, status: JobStatus): Promise<Job> {
  let job: Job | undefined;
  await waitFor(
    async () => (job = await queue.get(id))?.status === status,
    3000,
    `job ${id} ${status}`,
  );
  return job!;
}

/** Collects every event of job `id` until its final one. */
export async function watchAll(queue: Queue, id: string): Promise<QueueEvent[]> {
  const events: QueueEvent[] = [];
  for await (const event of queue.watch(id)) events.push(event);
  return events;
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

/**
 * `store`'s verbs bound to it, leaving out `omitted` ones: the same data seen through a store
 * that lacks those capabilities (`subscribe` and `publish`: a store without messages).
 */
export function storeWithout(store: MemoryStore, ...omitted: string[]): Store {
  const verbs: Record<string, unknown> = { name: store.name };
  for (const name of Object.getOwnPropertyNames(MemoryStore.prototype)) {
    const verb = (store as unknown as Record<string, unknown>)[name];
    if (typeof verb === "function" && name !== "constructor" && !omitted.includes(name)) {
      verbs[name] = verb.bind(store);
    }
  }
  return verbs as unknown as Store;
}

/**
 * The conformance groups of DESIGN §6.2 (schedules, pause, limits), skipped for the stores that
 * get them after the memory store's reference implementation.
 */
export const NOT_YET: Record<string, string> = Object.fromEntries(
  ["schedule", "fire", "pause", "rate", "concurrency"].map((group) => [
    group,
    "not yet implemented (wave 2)",
  ]),
);
