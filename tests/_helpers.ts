/**
 * Small helpers shared by the core's tests. @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kinetik, MemoryStore, type Queue, type QueueOptions } from "../mod.ts";
import type { Job, JobStatus, QueueEvent } from "../mod.ts";
import { SqliteStore } from "../stores/sqlite.ts";

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
