import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import type { ClaimRequest, Settlement, Store } from "../src/store.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { nextEvent, waitFor } from "./_helpers.ts";

/**
 * A memory store whose settle and claim calls take a few ms, like a network round trip,
 * and which counts how many are in flight at once.
 */
class SlowStore extends MemoryStore {
  readonly maxInFlight: number;
  inFlight = 0;
  mostInFlight = 0;
  settled: string[] = [];

  constructor(maxInFlight?: number) {
    super();
    this.maxInFlight = maxInFlight ?? 1;
  }

  override claim(request: ClaimRequest) {
    return this.#slowly(() => super.claim(request));
  }

  override settle(settlements: readonly Settlement[], next?: ClaimRequest) {
    this.settled.push(...settlements.map((s) => s.id));
    return this.#slowly(() => super.settle(settlements, next));
  }

  async #slowly<T>(call: () => Promise<T>): Promise<T> {
    this.mostInFlight = Math.max(this.mostInFlight, ++this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, 3));
      return await call();
    } finally {
      this.inFlight--;
    }
  }
}

async function drain(store: SlowStore, concurrency: number, jobs: number) {
  const queue = kinetik(store as Store, { interval: 50 });
  const runs = new Map<string, number>();
  queue.define("work").action((job) => void runs.set(job.id, (runs.get(job.id) ?? 0) + 1));
  try {
    await queue.createMany(Array.from({ length: jobs }, (_, n) => ({ task: "work", data: n })));
    queue.process("default", { concurrency });
    await waitFor(async () => (await queue.count({ status: "completed" })) === jobs, 10_000);
  } finally {
    await queue.close();
  }
  return runs;
}

test("a store with maxInFlight 2 gets two settle-and-claim calls in flight, never more", async () => {
  const store = new SlowStore(2);
  const runs = await drain(store, 10, 300);
  assert.equal(store.mostInFlight, 2);
  assert.equal(runs.size, 300);
  assert.ok([...runs.values()].every((n) => n === 1), "every job ran exactly once");
  assert.equal(new Set(store.settled).size, store.settled.length, "no job settled twice");
});

test("a store without maxInFlight gets one call at a time", async () => {
  const store = new SlowStore();
  const runs = await drain(store, 10, 100);
  assert.equal(store.mostInFlight, 1);
  assert.equal(runs.size, 100);
});

test("at concurrency 1 a two-lane store still gets one call at a time", async () => {
  const store = new SlowStore(2);
  const runs = await drain(store, 1, 30);
  assert.equal(store.mostInFlight, 1);
  assert.equal(runs.size, 30);
});

/** A two-lane memory store whose calls of one moment come back together, as pipelined replies do. */
class TogetherStore extends MemoryStore {
  readonly maxInFlight = 2;
  claims = 0;
  #waiting: (() => void)[] = [];

  override claim(request: ClaimRequest) {
    this.claims++;
    const released = new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.#waiting.length === 1) setTimeout(() => this.#waiting.splice(0).forEach((r) => r()));
    return released.then(() => super.claim(request));
  }
}

test("an idle processor on a two-lane store claims once per lane, not again and again, when both calls return together", async () => {
  const store = new TogetherStore();
  // The manual clock never moves: only a wake-up, never a timer, may start another claim.
  const queue = kinetik(store as Store, { clock: new ManualClock(0), interval: 50 });
  queue.define("work").action(() => {});
  try {
    const empty = nextEvent(queue, "empty");
    queue.process("default", { concurrency: 4 });
    await empty;
    for (let tick = 0; tick < 20; tick++) await new Promise((resolve) => setTimeout(resolve));
    assert.equal(store.claims, 2, "one claim per lane, then idle");
    await queue.create("work", null);
    await waitFor(async () => (await queue.count({ status: "completed" })) === 1);
  } finally {
    await queue.close();
  }
});
