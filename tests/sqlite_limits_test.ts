/**
 * Rate limits, global concurrency and pause across processes on one SQLite file (issue 12):
 * three worker processes, each at concurrency 10, share the limits of one store. What no single
 * process can see is checked from the outside: the starts the store recorded (every window of
 * `per` ms holds at most `max`), the runs the workers printed (never more than `n` at once),
 * and how long a resume takes to reach an idle worker in another process.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import type { NewJob } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { Child, until, withDatabase } from "./_sqlite_processes.ts";

const RATE = { max: 3, per: 1_000 };
const CONCURRENCY = 2;
/** How long each run takes in the workers (ms). */
const RUN = 100;

/** `count` limit workers on `path`, once each printed `ready`. */
async function startWorkers(path: string, spawned: Child[], count: number): Promise<Child[]> {
  const args = [`sqlite:${path}`, RATE.max, RATE.per, CONCURRENCY, RUN].map(String);
  const workers = Array.from({ length: count }, () => new Child("limit_worker.ts", args));
  spawned.push(...workers);
  await Promise.all(workers.map((worker) => worker.line(/^ready$/, 20_000)));
  return workers;
}

function jobs(task: string, count: number): NewJob[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => ({
    task,
    data: { i },
    created: now,
    priority: 0,
    log: { time: now, message: "Created" },
  }));
}

/** Runs the workers printed: `start|end <task> <id> <epoch ms>`. */
function runs(workers: Child[]): { task: string; id: string; start: number; end?: number }[] {
  const byId = new Map<string, { task: string; id: string; start: number; end?: number }>();
  for (const line of workers.flatMap((worker) => worker.lines)) {
    const match = /^(start|end) (\S+) (\d+) (\d+)$/.exec(line);
    if (!match) continue;
    const [, what, task, id, time] = match;
    if (what === "start") byId.set(id, { task, id, start: Number(time) });
    else byId.get(id)!.end = Number(time);
  }
  return [...byId.values()];
}

/** The most intervals `[start, end]` that overlap at one moment. */
function mostAtOnce(intervals: { start: number; end: number }[]): number {
  const edges = intervals.flatMap(({ start, end }) => [[start, 1], [end, -1]]);
  // At equal times an end goes first: a run that ended lets the next start in.
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let running = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, running += step);
  return most;
}

test(
  "SqliteStore: three processes together start at most max rate-limited jobs per window and run at most n of a concurrency-limited task",
  { timeout: 60_000 },
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const workers = await startWorkers(path, spawned, 3);
      const api = await store.add(jobs("api", 12));
      const render = await store.add(jobs("render", 12));
      const free = await store.add(jobs("free", 6));
      const total = api.length + render.length + free.length;
      await until(
        async () => (await store.count({ status: "completed" })) === total,
        30_000,
        "every job completed",
      );

      // Rate: from the start times the claims recorded (the limit's own clock, not the
      // workers' printing), every window (s - per, s] holds at most max starts.
      const starts = (await store.find({ task: "api" }, { offset: 0, limit: 100 }))
        .map((job) => job.started!).sort((a, b) => a - b);
      assert.equal(starts.length, 12);
      for (const [i, start] of starts.entries()) {
        const inWindow = starts.slice(0, i + 1).filter((s) => s > start - RATE.per).length;
        assert.ok(inWindow <= RATE.max, `${inWindow} starts in the window ending at ${start}`);
      }
      assert.ok(starts.at(-1)! - starts[0] >= 3 * RATE.per, "12 starts took four windows");

      // Concurrency: a run printed between its start and end lines holds its slot at least that
      // long, so the printed runs of all processes overlap no more than the slots did.
      const printed = runs(workers);
      const renders = printed.filter((run) => run.task === "render");
      assert.equal(renders.length, 12);
      assert.ok(
        mostAtOnce(renders as { start: number; end: number }[]) <= CONCURRENCY,
        "never more than n render jobs running across the processes",
      );
      // (One process may run every render job: a settle claims the slot it frees in the same
      // transaction. The limit shows in the first claims, which all three race for.)

      // A limited task does not hold up the others: the free jobs, added last, were done long
      // before the rate limit let the last api job start.
      const freeEnds = printed.filter((run) => run.task === "free").map((run) => run.end!);
      assert.equal(freeEnds.length, free.length);
      assert.ok(Math.max(...freeEnds) < starts.at(-1)!, "free jobs did not wait for api");
    });
  },
);

test(
  "SqliteStore: a pause holds jobs back from idle processes elsewhere, and a resume reaches them within milliseconds",
  { timeout: 60_000 },
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const [worker] = await startWorkers(path, spawned, 1);
      const queue = kinetik(new SqliteStore({ path }));
      const latencies: number[] = [];
      try {
        for (let round = 0; round < 10; round++) {
          await queue.pause({ tasks: ["free"] });
          const [held] = await store.add(jobs("free", 1));
          const from = worker.lines.length;
          // The api job is added after the held one: the claim that takes it passed over
          // the paused job (the worker's interval is 10 s, so only wake-ups make it claim).
          const [api] = await store.add(jobs("api", 1));
          await worker.line(new RegExp(`^start api ${api.id} `), 10_000, from);
          assert.equal((await store.get(held.id))?.status, "queued", "the paused job waits");
          const resumed = Date.now();
          await queue.resume({ tasks: ["free"] });
          const line = await worker.line(new RegExp(`^start free ${held.id} `), 5_000, from);
          latencies.push(Number(line.split(" ")[3]) - resumed);
          await until(
            async () => (await store.count({ status: "completed" })) === 2 * (round + 1),
            10_000,
            "both jobs of the round completed",
          );
        }
      } finally {
        await queue.close();
      }
      latencies.sort((a, b) => a - b);
      // Printed for the README (how fast a resume reaches an idle processor elsewhere).
      console.log(
        `resume to start in another process: p50 ${latencies[4]} ms, max ${latencies.at(-1)} ms`,
      );
    });
  },
);
