/**
 * The setting of the processor's failure tests: a queue on a FailingStore around a real store
 * (memory, or a fresh SQLite file), a ManualClock, and what the queue reported. @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { kinetik, MemoryStore, type Queue, type QueueEvent } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { Store } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { FailingStore } from "./_failing_store.ts";
import { PATIENCE, withTimeout } from "./_helpers.ts";

/** The time every failure test starts at. */
export const T0 = 1_700_000_000_000;

/** The real stores the tests wrap, by name; each opens in a fresh temp dir of its test. */
export const STORES: readonly [string, (dir: string) => Store][] = [
  ["memory", () => new MemoryStore()],
  ["sqlite", (dir) => new SqliteStore({ path: join(dir, "jobs.db") })],
];

/** What a failure test gets. */
export interface Fixture {
  queue: Queue;
  store: FailingStore;
  clock: ManualClock;
  /** Every `error` the queue emitted. */
  errors: unknown[];
  /** Every job event the queue's stream carried. */
  events: QueueEvent[];
}

/**
 * Runs `fn` with a queue (interval 1h, lease 30s) on a FailingStore around `open(dir)`, `dir`
 * a fresh temp dir; then closes the queue (failing when that or the end of its event stream
 * takes longer than PATIENCE) and removes the dir.
 */
export async function withQueue(
  open: (dir: string) => Store,
  fn: (fixture: Fixture) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kinetik-failures-"));
  const store = new FailingStore(open(dir));
  const clock = new ManualClock(T0);
  const queue = kinetik(store, { interval: "1h", lease: "30s", clock });
  const errors: unknown[] = [];
  queue.on("error", (error) => errors.push(error));
  const events: QueueEvent[] = [];
  const reading = (async () => {
    for await (const event of queue.events()) events.push(event);
  })();
  try {
    await fn({ queue, store, clock, errors, events });
  } finally {
    store.heal();
    store.release();
    // No grace: a run the test left hanging is aborted at once (on this clock, at advance).
    const closing = queue.close({ grace: 0 });
    await clock.advance(0);
    try {
      await withTimeout(closing, PATIENCE, "the queue to close");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  await withTimeout(reading, PATIENCE, "the event stream to end with the queue");
}

/** The final events (completed, failed, timeout, cancelled) seen for job `id`, in order. */
export function finalEvents(events: readonly QueueEvent[], id: string): string[] {
  const finals = new Set(["completed", "failed", "timeout", "cancelled"]);
  return events.filter((e) => e.job.id === id && finals.has(e.type)).map((e) => e.type);
}
