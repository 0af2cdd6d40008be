/**
 * Issue 12 across processes on a real redis-server: schedules fired by several processes at
 * once (and after all of them were stopped), rate limits and concurrency counted across
 * processes, and how fast a resume reaches an idle processor elsewhere. The processes run the
 * fixtures `schedule_worker.ts` and `limit_worker.ts` in real time; every wait is on what they
 * print or store, with a timeout.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { after, test } from "node:test";
import { Redis } from "ioredis";
import type { Job } from "../src/job.ts";
import { RedisStore } from "../stores/redis.ts";
import { fileURLToPath } from "node:url";
import { type Running, spawnChild } from "./_cli_process.ts";
import { waitFor, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable(
  "the Redis multi-process control tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const run = Math.random().toString(36).slice(2, 8);
let prefixes = 0;
const freshPrefix = () => `ctl${++prefixes}-${run}`;
const SECOND = 1_000;
const ROOT = fileURLToPath(new URL("..", import.meta.url));

function fixture(name: string, args: string[]): Running {
  const file = `tests/fixtures/${name}`;
  const argv = "Deno" in globalThis ? ["run", "-A", file, ...args] : [file, ...args];
  return spawnChild(process.execPath, argv, { cwd: ROOT });
}

/** Stops the processes gracefully, or kills those still running after 10 s. */
async function stopAll(children: Running[]): Promise<void> {
  for (const child of children) child.child.kill("SIGTERM");
  try {
    await withTimeout(Promise.all(children.map((child) => child.exited)), 10_000, "SIGTERM");
  } finally {
    for (const child of children) child.child.kill("SIGKILL");
    await Promise.all(children.map((child) => child.exited));
  }
}

/** Three schedule workers on one queue, each calling `schedule("tick", …)` at start-up. */
async function scheduleWorkers(prefix: string, missed: string, interval = 100) {
  const workers = [1, 2, 3].map(() =>
    fixture("schedule_worker.ts", [`${url}?prefix=${prefix}`, missed, String(interval)])
  );
  await Promise.all(workers.map((worker) => worker.printed("ready ")));
  return workers;
}

/** The jobs the schedule fired, by fire time (from their key `schedule:tick:<ms>`). */
async function fired(store: RedisStore): Promise<{ at: number; job: Job }[]> {
  const jobs = await store.find({ task: "tick" }, { offset: 0, limit: 10_000 });
  const times = jobs.map((job) => ({ at: Number(job.key!.split(":")[2]), job }));
  return times.sort((a, b) => a.at - b.at);
}

/** Fire times that are one second apart, each once. */
function assertNoGaps(times: number[], what: string): void {
  for (let i = 1; i < times.length; i++) {
    assert.equal(times[i] - times[i - 1], SECOND, `${what}: ${times[i - 1]} then ${times[i]}`);
  }
}

/** Every job key the workers ran, each exactly once, and every completed job among them. */
function assertRanOnce(workers: Running[], jobs: Job[]): void {
  const ran = workers.flatMap((worker) =>
    [...worker.output().matchAll(/^ran (\S+) \d+$/gm)].map((match) => match[1])
  );
  assert.equal(new Set(ran).size, ran.length, `a fire time ran twice: ${ran.sort()}`);
  for (const job of jobs.filter((job) => job.status === "completed")) {
    assert.ok(ran.includes(job.key!), `job ${job.key} completed without a run`);
  }
}

/** Waits until at least `count` fire times after `since` have run. */
function untilFired(store: RedisStore, count: number, since = 0, ms = 20_000): Promise<void> {
  return waitFor(
    async () =>
      (await fired(store)).filter(({ at, job }) => at > since && job.status === "completed")
        .length >= count,
    ms,
    `${count} fire times after ${since}`,
    50,
  );
}

/** The outage: every process of the queue stopped for five seconds of real time. */
const outage = () => new Promise((resolve) => setTimeout(resolve, 5 * SECOND));

test(
  "Redis: three processes scheduling one every-second schedule fire one job per second, and missed: latest runs only the latest missed time",
  { skip, timeout: 90_000 },
  async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url, prefix });
    const ran: Running[] = [];
    try {
      let workers = await scheduleWorkers(prefix, "latest");
      ran.push(...workers);
      await untilFired(store, 10); // about ten seconds
      await stopAll(workers);
      const before = (await fired(store)).map(({ at }) => at);
      assert.ok(before.length >= 10, `${before.length} fire times`);
      assertNoGaps(before, "while three processes ran");

      await outage();
      workers = await scheduleWorkers(prefix, "latest");
      ran.push(...workers);
      const lastBefore = before.at(-1)!;
      await untilFired(store, 3, lastBefore);
      await stopAll(workers);

      const all = await fired(store);
      assert.equal(new Set(all.map(({ at }) => at)).size, all.length, "one job per fire time");
      const afterwards = all.filter(({ at }) => at > lastBefore);
      const [first] = afterwards;
      assert.ok(first.at - lastBefore > 3 * SECOND, "the missed fire times did not all run");
      assert.ok(
        first.job.created < first.at + SECOND,
        "it was the latest fire time due when it fired",
      );
      assertNoGaps(afterwards.map(({ at }) => at), "after the restart");
      assertRanOnce(ran, all.map(({ job }) => job));
    } finally {
      await stopAll(ran);
      await store.close();
    }
  },
);

test(
  "Redis: after five seconds with every process stopped, missed: all runs every missed time and missed: skip none",
  { skip, timeout: 90_000 },
  async () => {
    const prefixes = { all: freshPrefix(), skip: freshPrefix() };
    const stores = {
      all: new RedisStore({ url, prefix: prefixes.all }),
      skip: new RedisStore({ url, prefix: prefixes.skip }),
    };
    // skip counts a fire time up to one interval late as on time: 1 s, so that a loaded
    // machine does not skip fire times while the processes run.
    const interval = { all: 100, skip: SECOND };
    const ran = { all: [] as Running[], skip: [] as Running[] };
    const start = async () => {
      const [all, skip] = await Promise.all([
        scheduleWorkers(prefixes.all, "all", interval.all),
        scheduleWorkers(prefixes.skip, "skip", interval.skip),
      ]);
      ran.all.push(...all);
      ran.skip.push(...skip);
      return [...all, ...skip];
    };
    try {
      let workers = await start();
      await Promise.all([untilFired(stores.all, 2), untilFired(stores.skip, 2)]);
      await stopAll(workers);
      const lastBefore = {
        all: (await fired(stores.all)).at(-1)!.at,
        skip: (await fired(stores.skip)).at(-1)!.at,
      };

      await outage();
      const restartedAt = Date.now();
      workers = await start();
      await Promise.all([
        untilFired(stores.all, 7, lastBefore.all),
        untilFired(stores.skip, 2, restartedAt),
      ]);
      await stopAll(workers);

      const all = await fired(stores.all);
      assertNoGaps(all.map(({ at }) => at), "missed: all");
      assert.ok(all.at(-1)!.at - lastBefore.all >= 5 * SECOND, "it ran through the outage");
      const skipped = await fired(stores.skip);
      assert.equal(new Set(skipped.map(({ at }) => at)).size, skipped.length);
      const missed = skipped.filter(({ at }) =>
        at > lastBefore.skip && at <= restartedAt - interval.skip
      );
      assert.deepEqual(missed.map(({ at }) => at), [], "missed: skip runs no missed fire time");
      assertRanOnce(ran.all, all.map(({ job }) => job));
      assertRanOnce(ran.skip, skipped.map(({ job }) => job));
    } finally {
      await stopAll([...ran.all, ...ran.skip]);
      await stores.all.close();
      await stores.skip.close();
    }
  },
);

/** `start`/`end` lines the limit workers printed: task, job id, epoch ms. */
function runLines(workers: Running[], kind: "start" | "end", task: string) {
  const pattern = new RegExp(`^${kind} ${task} (\\S+) (\\d+)$`, "gm");
  return workers.flatMap((worker) =>
    [...worker.output().matchAll(pattern)].map((match) => ({ id: match[1], at: Number(match[2]) }))
  );
}

/** The most runs of `task` at once, from the workers' start and end lines. */
function mostAtOnce(workers: Running[], task: string): number {
  const changes = [
    ...runLines(workers, "start", task).map(({ at }) => ({ at, by: 1 })),
    ...runLines(workers, "end", task).map(({ at }) => ({ at, by: -1 })),
  ].sort((a, b) => a.at - b.at || a.by - b.by); // an end before a start of the same ms
  let running = 0;
  let most = 0;
  for (const change of changes) most = Math.max(most, running += change.by);
  return most;
}

/** Redis's count of script calls so far. */
async function scriptCalls(redis: Redis): Promise<number> {
  const info = await redis.info("commandstats");
  return [...info.matchAll(/cmdstat_(evalsha|eval|fcall|fcall_ro):calls=(\d+)/g)]
    .reduce((total, match) => total + Number(match[2]), 0);
}

test(
  "Redis: three processes together start at most max jobs of a rate-limited task per window and run at most n of a concurrency-limited one",
  { skip, timeout: 60_000 },
  async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url, prefix });
    const redis = new Redis(url);
    const [max, per, n] = [4, 500, 2];
    const workers = [1, 2, 3].map(() =>
      fixture("limit_worker.ts", [`${url}?prefix=${prefix}`, `${max}`, `${per}`, `${n}`, "50"])
    );
    try {
      await Promise.all(workers.map((worker) => worker.printed("ready")));
      const callsBefore = await scriptCalls(redis);
      const now = Date.now();
      const job = (task: string, i: number) => ({
        task,
        data: { i },
        created: now,
        priority: 0,
        log: { time: now, message: "Created" },
      });
      const tasks = [
        ...Array(16).fill("api"),
        ...Array(10).fill("render"),
        ...Array(6).fill("free"),
      ];
      await store.add(tasks.map(job));
      await waitFor(
        async () => (await store.count({ status: "completed" })) === tasks.length,
        30_000,
        "every job to complete",
        20,
      );
      const calls = await scriptCalls(redis) - callsBefore;

      // The rate: the claims' own times (`started`), as the store counted them.
      const api = await store.find({ task: "api" }, { offset: 0, limit: 100 });
      const starts = api.map((record) => record.started!).sort((a, b) => a - b);
      for (const start of starts) {
        const inWindow = starts.filter((other) => other >= start && other < start + per).length;
        assert.ok(inWindow <= max, `${inWindow} starts in the ${per} ms from ${start}: ${starts}`);
      }
      assert.ok(starts.at(-1)! - starts[0] >= (16 / max - 1) * per, "the rate held them back");
      // Concurrency: each run's action lies inside its lease, so this undercounts nothing.
      const most = mostAtOnce(workers, "render");
      assert.ok(most <= n, `${most} render jobs ran at once`);
      // Held-back tasks do not hold up the others of their tag.
      const free = await store.find({ task: "free" }, { offset: 0, limit: 100 });
      const freeDone = Math.max(...free.map((record) => record.finished!));
      assert.ok(freeDone < starts.at(-1)!, "the free jobs ran while api waited for its window");
      // Sleeping until the window reopens, not spinning: a few calls per job and window.
      assert.ok(calls < 600, `${calls} script calls for ${tasks.length} jobs`);
      console.log(`limits: ${calls} script calls for ${tasks.length} jobs, render at once ${most}`);
    } finally {
      await stopAll(workers);
      await store.close();
      await redis.quit();
    }
  },
);

test(
  "Redis: a pause holds a task's jobs back from an idle processor in another process, and a resume starts them at once",
  { skip, timeout: 60_000 },
  async () => {
    const prefix = freshPrefix();
    const store = new RedisStore({ url, prefix });
    // The worker's interval is 10 s: only the resume's wake-up starts a job within 5 s.
    const [worker] = [fixture("limit_worker.ts", [`${url}?prefix=${prefix}`, "100", "1000", "5"])];
    const latencies: number[] = [];
    try {
      await worker.printed("ready");
      for (let round = 0; round < 20; round++) {
        await store.pause({ tags: [], tasks: ["free"] });
        const now = Date.now();
        const log = { time: now, message: "Created" };
        const [held, other] = await store.add([
          { task: "free", data: { round }, created: now, priority: 0, log },
          { task: "render", data: { round }, created: now, priority: 0, log },
        ]);
        // The worker woke for both, took the younger job, and went idle with the held one.
        await worker.printed(`start render ${other.id} `, 5_000);
        await waitFor(async () => (await store.get(other.id))?.status === "completed", 5_000);
        assert.ok(!worker.output().includes(`start free ${held.id} `), "a paused job started");
        assert.equal((await store.get(held.id))?.status, "queued");

        const resumed = Date.now();
        await store.resume({ tags: [], tasks: ["free"] });
        await worker.printed(`start free ${held.id} `, 5_000);
        const started = runLines([worker], "start", "free").find(({ id }) => id === held.id)!;
        latencies.push(started.at - resumed);
      }
      latencies.sort((a, b) => a - b);
      const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * 20))];
      console.log(`resume to start in another process: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms`);
    } finally {
      await stopAll([worker]);
      await store.close();
    }
  },
);
