/**
 * `deno task bench:sweep`: how long a claim waits while retention sweeps a backlog of expired
 * finished jobs, on any store that implements the wave-2 sweep (`RemoveFilter.before/limit`).
 *
 * ```sh
 * deno task bench:sweep                                  # memory, 1,000,000 finished jobs
 * deno task bench:sweep --store sqlite:/tmp/sweep.db     # a fresh file
 * deno task bench:sweep --store redis://127.0.0.1:6379 --finished 200000
 * deno task bench:sweep --store sqlite:/tmp/sweep.db --peer  # the sweeper on its own connection
 * ```
 *
 * It fills the store with `--finished` jobs completed eight days ago (past the default 7-day
 * retention), then times `--claims` claims one after another (add a job, claim it, settle it),
 * first with no sweep going on, then while a sweeper removes the backlog back to back, 1,000
 * jobs a call as processors do. It prints p50 / p99 / max claim latency of both phases and
 * how long the sweep took. The store should be empty at the start (use a fresh file or
 * prefix).
 *
 * `--peer` sweeps from a worker thread on a second connection of the same URL, as a processor
 * in another process does. That is the measurement for a store that runs in the caller's thread
 * (SQLite): there, claims and sweeps of one connection take turns on the event loop, so a claim
 * never runs during a sweep call; it waits, at most, for one call ("sweep calls" below). With a
 * peer, the claim waits for the file's write lock instead. @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import { openStore, type Store, systemClock } from "../mod.ts";
import { canNarrowRemoves, resolveRetention, Sweeper } from "../src/retention.ts";
import type { NewJob } from "../src/store.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    store: { type: "string", default: "memory:" },
    finished: { type: "string", default: "1000000" },
    claims: { type: "string", default: "2000" },
    peer: { type: "boolean", default: false },
  },
});
const finished = Number(values.finished);
const claims = Number(values.claims);
const DAY = 86_400_000;

function job(task: string, created: number): NewJob {
  return { task, data: { n: 1 }, created, priority: 0, log: { time: created, message: "Created" } };
}

/**
 * Adds and completes `count` jobs of task "old", finished eight days ago; resolves to the id of
 * the last one, which a sweep (oldest finished first, then by id) removes last.
 */
async function fill(store: Store, count: number): Promise<string> {
  const old = Date.now() - 8 * DAY;
  let last = "";
  for (let done = 0; done < count; done += 5_000) {
    const size = Math.min(5_000, count - done);
    await store.add(Array.from({ length: size }, () => job("old", old)));
    const { jobs } = await store.claim({
      groups: [["old"]],
      limit: size,
      worker: "bench",
      leaseMs: 60_000,
      now: old,
    });
    await store.settle(jobs.map((leased) => ({
      id: leased.id,
      token: leased.token,
      outcome: "completed" as const,
      now: old,
      logs: [],
    })));
    last = jobs.at(-1)?.id ?? last;
  }
  return last;
}

/** Claim latencies in ms of `count` add-claim-settle rounds of task "fresh". */
async function timeClaims(store: Store, count: number, isDone = () => false): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count && !isDone(); i++) {
    await store.add([job("fresh", Date.now())]);
    const start = performance.now();
    const { jobs } = await store.claim({
      groups: [["fresh"]],
      limit: 1,
      worker: "bench",
      leaseMs: 60_000,
      now: Date.now(),
    });
    latencies.push(performance.now() - start);
    await store.settle(jobs.map((leased) => ({
      id: leased.id,
      token: leased.token,
      outcome: "completed" as const,
      now: Date.now(),
      logs: [],
    })));
  }
  return latencies;
}

function summary(latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return `p50 ${at(0.5).toFixed(2)} ms, p99 ${at(0.99).toFixed(2)} ms, max ${
    sorted.at(-1)!.toFixed(2)
  } ms (${sorted.length} claims)`;
}

const store = await openStore(values.store);
if (!canNarrowRemoves(store)) {
  await store.close();
  console.error(`bench:sweep: the ${store.name} store does not implement sweeps yet (removeJob)`);
  process.exit(1);
}
/** A sweep going on: whether it is over (readable between claims), and its call times. */
interface Sweep {
  isDone(): boolean;
  calls: Promise<number[]>;
}

/**
 * Back-to-back sweeps on the bench's own connection, as an idle processor runs them while it is
 * behind (one claim between two sweeps there; here the claims run beside them, so each may wait
 * for a whole call). Until the job `last` is gone: a cheap test, where counting what is left
 * would read every remaining job on each turn.
 */
function sweepHere(store: Store, last: string): Sweep {
  const sweeper = new Sweeper(store, resolveRetention({ completed: "7d" }), {
    clock: systemClock,
    interval: 0,
    reportError: (error) => console.error(error),
  });
  let isDone = false;
  const calls = (async () => {
    const sweeps: number[] = [];
    while (await store.get(last)) {
      const start = performance.now();
      await sweeper.sweep();
      sweeps.push(performance.now() - start);
    }
    isDone = true;
    return sweeps;
  })();
  return { isDone: () => isDone, calls };
}

/** The same sweeps from a worker thread on a second connection (`--peer`). */
function sweepInPeer(url: string, last: string): Sweep {
  const done = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(new URL("./_sweep_peer.ts", import.meta.url).href, { type: "module" });
  const calls = new Promise<number[]>((resolve, reject) => {
    worker.onmessage = (event: MessageEvent<number[]>) => resolve(event.data);
    worker.onerror = (event) => reject(event.error ?? new Error(event.message));
  }).finally(() => worker.terminate());
  worker.postMessage({ url, last, done });
  return { isDone: () => Atomics.load(done, 0) === 1, calls };
}

try {
  const filling = performance.now();
  const last = await fill(store, finished);
  console.log(
    `${store.name}: ${finished} finished jobs in ${
      ((performance.now() - filling) / 1000).toFixed(1)
    } s`,
  );
  console.log(`idle:        ${summary(await timeClaims(store, claims))}`);

  const sweeping = performance.now();
  const sweep = values.peer ? sweepInPeer(values.store, last) : sweepHere(store, last);
  const during = await timeClaims(store, Number.MAX_SAFE_INTEGER, sweep.isDone);
  const sweeps = await sweep.calls;
  const took = (performance.now() - sweeping) / 1000;
  console.log(`during sweep${values.peer ? " (peer)" : ""}: ${summary(during)}`);
  console.log(`sweep calls:  ${summary(sweeps).replace("claims", "sweeps")}`);
  console.log(
    `sweep of ${finished} jobs: ${took.toFixed(1)} s (${Math.round(finished / took)} jobs/s)`,
  );
} finally {
  await store.close();
}
