import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import { MongoStore } from "../stores/mongo.ts";
import { ROOT } from "./_cli_binary.ts";
import { type Running, spawnChild } from "./_cli_process.ts";
import { waitFor } from "./_helpers.ts";
import { mongoServer } from "./_mongo_server.ts";
import { unavailable } from "./_unavailable.ts";

// Schedules and limits across processes on the MongoDB store: three worker processes
// (tests/fixtures/schedule_worker.ts) each call schedule() for one one-second schedule at
// start-up and fire it together; three others (tests/fixtures/limit_worker.ts) share rate and
// concurrency limits. Against the mongo-wire emulator (not MongoDB) unless KINETIK_MONGO_URL
// names a server.

const server = await mongoServer();
const skip = unavailable(
  "the MongoDB multi-process tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const database = `kinetik_multi_${Date.now().toString(36)}`;

after(async () => {
  if (typeof server === "string") return;
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
    await server.dispose();
  }
});

/** Fire times the three workers must run between them before they are stopped. */
const FIRES = 5;

function startFixture(name: string, args: string[]): Running {
  const file = join(ROOT, "tests", "fixtures", name);
  const argv = "Deno" in globalThis ? ["run", "-A", file, ...args] : [file, ...args];
  return spawnChild(process.execPath, argv, { cwd: ROOT });
}

function startWorker(storeUrl: string): Running {
  return startFixture("schedule_worker.ts", [storeUrl, "latest", "100"]);
}

/** Stops workers gracefully, or kills what is left of them. */
async function stopAll(workers: Running[], signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  for (const worker of workers) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) {
      worker.child.kill(signal);
    }
  }
  await Promise.all(workers.map((worker) => worker.exited));
}

/** The job keys each `ran <key> <pid>` line of the workers names, in the order printed. */
function ran(workers: Running[]): string[] {
  return workers.flatMap((worker) =>
    [...worker.output().matchAll(/^ran (\S+) \d+$/gm)].map((match) => match[1])
  );
}

test(
  "MongoStore: three processes scheduling one every-second schedule fire each time exactly once",
  { skip, timeout: 90_000 },
  async () => {
    const storeUrl = `${url.replace(/\/?$/, "")}/${database}`;
    const workers = [startWorker(storeUrl), startWorker(storeUrl), startWorker(storeUrl)];
    const store = new MongoStore({ url: storeUrl });
    try {
      await Promise.all(workers.map((worker) => worker.printed("ready ", 30_000)));
      await waitFor(() => new Set(ran(workers)).size >= FIRES, 30_000, `${FIRES} fire times run`);
      await stopAll(workers, "SIGTERM");

      const runs = ran(workers);
      assert.equal(new Set(runs).size, runs.length, `no fire time ran twice: ${runs}`);
      const jobs = await store.find({ task: "tick" }, { offset: 0, limit: 1_000 });
      const times = jobs.map((job) => Number(/^schedule:tick:(\d+)$/.exec(job.key ?? "")?.[1]));
      assert.equal(new Set(times).size, times.length, `one job per fire time: ${times}`);
      times.sort((a, b) => a - b);
      for (let i = 1; i < times.length; i++) {
        assert.equal(times[i] - times[i - 1], 1_000, `no gap after ${times[i - 1]}: ${times}`);
      }
      assert.ok(times.length >= FIRES, `at least ${FIRES} fire times: ${times}`);
      const [schedule] = await store.schedules();
      assert.equal(schedule.next, times.at(-1)! + 1_000, "next is the fire time after the last");
    } finally {
      await stopAll(workers, "SIGKILL");
      await store.close();
    }
  },
);

/** The most runs of `task` printed as running at one moment, by `start`/`end` lines. */
function mostRunning(workers: Running[], task: string): number {
  const events = workers.flatMap((worker) =>
    [...worker.output().matchAll(new RegExp(`^(start|end) ${task} \\S+ (\\d+)$`, "gm"))].map((
      match,
    ) => ({ at: Number(match[2]), delta: match[1] === "start" ? 1 : -1 }))
  );
  // Ends before starts at the same ms: a slot freed and taken again in one ms is no overlap.
  events.sort((a, b) => a.at - b.at || a.delta - b.delta);
  let running = 0;
  let most = 0;
  for (const { delta } of events) most = Math.max(most, running += delta);
  return most;
}

test(
  "MongoStore: three processes never start more than a rate allows per window, nor run more than a concurrency",
  { skip, timeout: 90_000 },
  async () => {
    const storeUrl = `${url.replace(/\/?$/, "")}/${database}_limits`;
    const rate = { max: 4, per: 1_000 };
    const args = [storeUrl, String(rate.max), String(rate.per), "2", "60"];
    const workers = [1, 2, 3].map(() => startFixture("limit_worker.ts", args));
    const store = new MongoStore({ url: storeUrl });
    try {
      await Promise.all(workers.map((worker) => worker.printed("ready", 30_000)));
      const job = (task: string, i: number) => ({
        task,
        data: i,
        created: Date.now(),
        priority: 0,
        log: { time: Date.now(), message: "Created" },
      });
      await store.add([
        ...Array.from({ length: 12 }, (_, i) => job("api", i)),
        ...Array.from({ length: 12 }, (_, i) => job("render", i)),
        ...Array.from({ length: 6 }, (_, i) => job("free", i)),
      ]);
      await waitFor(
        async () => (await store.count({ status: "completed" })) === 30,
        60_000,
        "every job to complete",
      );
      await stopAll(workers, "SIGTERM");

      // Rate: the store counts starts by the claim's time, which is the job's `started`.
      const starts = (await store.find({ task: "api" }, { offset: 0, limit: 100 }))
        .map((job) => job.started!).sort((a, b) => a - b);
      assert.equal(starts.length, 12);
      for (let i = rate.max; i < starts.length; i++) {
        assert.ok(
          starts[i] - starts[i - rate.max] >= rate.per,
          `${rate.max + 1} starts within ${rate.per} ms: ${starts.slice(i - rate.max, i + 1)}`,
        );
      }
      // Concurrency: what the processes printed around each run, together.
      const most = mostRunning(workers, "render");
      assert.ok(most <= 2, `at most 2 renders ran at once, not ${most}`);
    } finally {
      await stopAll(workers, "SIGKILL");
      await store.close();
    }
  },
);
