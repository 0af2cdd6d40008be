/**
 * Small helpers shared by the core's tests. Every wait here has a timeout, so a regression
 * fails the test instead of hanging the run. @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kinetik, MemoryStore, type Queue, type QueueOptions, type Store } from "../mod.ts";
import type { Job, JobStatus, QueueEvent } from "../mod.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import type { Emitter, EventMap } from "../src/emitter.ts";

/**
 * How long a test waits for something that should happen at once (a wake-up, an event, a
 * store call) before it fails. Generous, because two shared cores run many suites together.
 */
export const PATIENCE = 5_000;

/**
 * Resolves or rejects as `promise` does, or rejects when it has not settled within `ms`:
 * "Timed out after <ms> ms waiting for <what>".
 */
export async function withTimeout<T>(
  promise: PromiseLike<T>,
  ms: number = PATIENCE,
  what = "a promise",
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The arguments of the next `event` the emitter emits. Call it before the code that emits, so
 * the listener is there in time; awaiting it fails after `ms`. The timer only starts when it
 * is awaited, so one that is never awaited cannot fail a later test.
 */
export function nextEvent<Events extends EventMap<Events>, E extends keyof Events & string>(
  emitter: Emitter<Events>,
  event: E,
  ms: number = PATIENCE,
): PromiseLike<Events[E]> {
  const fired = new Promise<Events[E]>((resolve) =>
    emitter.once(event, (...args: Events[E]) => void resolve(args))
  );
  let waiting: Promise<Events[E]> | undefined;
  return {
    then: (onFulfilled, onRejected) =>
      (waiting ??= withTimeout(fired, ms, `a "${event}" event`)).then(onFulfilled, onRejected),
  };
}

/** Polls `predicate` every `everyMs` until it holds; fails after `timeoutMs`. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 3000,
  what = "condition",
  everyMs = 2,
): Promise<void> {
  let isLate = false;
  const timer = setTimeout(() => isLate = true, timeoutMs);
  try {
    while (!(await predicate())) {
      if (isLate) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  } finally {
    clearTimeout(timer);
  }
}

/** Waits until job `id` has `status`. */
export async function waitForStatus(queue: Queue, id: string, status: JobStatus): Promise<Job> {
  let job: Job | undefined;
  await waitFor(
    async () => (job = await queue.get(id))?.status === status,
    PATIENCE,
    `job ${id} ${status}`,
  );
  return job!;
}

/** Collects every event of job `id` until its final one (within `ms`). */
export function watchAll(queue: Queue, id: string, ms: number = PATIENCE): Promise<QueueEvent[]> {
  const events: QueueEvent[] = [];
  const watching = (async () => {
    for await (const event of queue.watch(id)) events.push(event);
    return events;
  })();
  return withTimeout(watching, ms, `the final event of job ${id}`);
}

/** A promise with its resolve function. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

/**
 * Runs `fn` with a queue on a fresh store of `kind` (a memory store, or SQLite in a temporary
 * file), then closes the queue and removes the file.
 */
export async function withQueueOn(
  kind: "memory" | "sqlite",
  options: QueueOptions,
  fn: (queue: Queue) => Promise<void>,
): Promise<void> {
  const dir = kind === "sqlite" ? mkdtempSync(join(tmpdir(), "kinetik-queue-")) : undefined;
  const store = dir ? new SqliteStore({ path: join(dir, "queue.db") }) : new MemoryStore();
  const queue = kinetik(store, options);
  try {
    await fn(queue);
  } finally {
    await queue.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
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
