import assert from "node:assert/strict";
import { after, test } from "node:test";
import { kinetik } from "../mod.ts";
import type { Job } from "../src/job.ts";
import { PostgresStore } from "../stores/postgres.ts";
import type { Running } from "./_cli_process.ts";
import { waitFor } from "./_helpers.ts";
import { freshDatabase, startFixture, stopFixture } from "./_postgres_fixtures.ts";
import { postgresServer } from "./_postgres_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL multi-process control tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

/** Runs `fn` with a store on a fresh database and stops every fixture it started. */
async function withDatabase(
  prefix: string,
  fn: (dbUrl: string, store: PostgresStore, workers: Running[]) => Promise<void>,
): Promise<void> {
  const dbUrl = await freshDatabase(url, prefix);
  const store = new PostgresStore({ url: dbUrl, max: 2 });
  const workers: Running[] = [];
  try {
    await fn(dbUrl, store, workers);
  } finally {
    await Promise.all(workers.map((worker) => stopFixture(worker, true)));
    await store.close();
  }
}

/** The fire times of the schedule's jobs, ascending, failing on a fire time made twice. */
async function fireTimes(store: PostgresStore): Promise<number[]> {
  const jobs = await store.find({ task: "tick" }, { offset: 0, limit: 1_000 });
  const times = jobs.map((job) => Number(job.key!.split(":")[2])).sort((a, b) => a - b);
  assert.equal(new Set(times).size, times.length, `one job per fire time: ${times}`);
  return times;
}

function assertNoGaps(times: number[], what: string): void {
  for (let i = 1; i < times.length; i++) {
    assert.equal(times[i] - times[i - 1], 1_000, `${what}: no gap after ${times[i - 1]}`);
  }
}

test(
  "PostgresStore: three processes scheduling one schedule make exactly one job per fire time, and missed: latest holds across a stop",
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    await withDatabase("sched", async (dbUrl, store, workers) => {
      const start = () => {
        const started = [1, 2, 3].map(() => startFixture("schedule_worker.ts", [dbUrl, "latest"]));
        workers.push(...started);
        return started;
      };
      const first = start();
      await Promise.all(first.map((worker) => worker.printed("ready ", 30_000)));
      await waitFor(async () => (await fireTimes(store)).length >= 6, 20_000, "6 fire times", 50);
      await Promise.all(first.map((worker) => stopFixture(worker)));
      const before = await fireTimes(store);
      assertNoGaps(before, "while three processes ran");

      // Stopped for a few fire times: on restart, only the latest missed one is made.
      const stoppedAt = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 3_500));
      const second = start();
      await Promise.all(second.map((worker) => worker.printed("ready ", 30_000)));
      await waitFor(
        async () => (await fireTimes(store)).length >= before.length + 3,
        20_000,
        "three more fire times",
        50,
      );
      const times = await fireTimes(store);
      const last = before.at(-1)!;
      const caughtUp = times.filter((time) => time > last);
      // The fire times of the stop's first 2.5 s were skipped: latest makes one job, not all.
      assert.ok(
        caughtUp[0] >= stoppedAt + 2_500,
        `no job for the fire times missed before the latest: ${
          caughtUp[0] - stoppedAt
        } ms after the stop`,
      );
      // That one is the latest fire time that had passed when the restarted processes fired.
      const [catchUp] = await store.find({ key: `schedule:tick:${caughtUp[0]}` }, {
        offset: 0,
        limit: 1,
      });
      const lag = catchUp.created - caughtUp[0];
      assert.ok(lag >= 0 && lag < 1_000, `the latest missed fire time, made ${lag} ms after it`);
      assertNoGaps(caughtUp, "after the restart");
      await Promise.all(second.map((worker) => stopFixture(worker)));
      // No job ran twice, and every completed one ran in one of the six processes.
      const ran = workers.flatMap((worker) =>
        worker.output().split("\n").filter((line) => line.startsWith("ran ")).map((line) =>
          line.split(" ")[1]
        )
      );
      assert.equal(new Set(ran).size, ran.length, "each fired job ran once");
      const completed = await store.find({ status: "completed" }, { offset: 0, limit: 1_000 });
      assert.deepEqual(completed.map((job) => job.key).sort(), [...ran].sort());
    });
  },
);

/** The `started` times of `jobs`, ascending. */
const startsOf = (jobs: Job[]) => jobs.map((job) => job.started!).sort((a, b) => a - b);

test(
  "PostgresStore: three processes never start more than the rate allows nor run more than the concurrency",
  {
    skip,
    timeout: 120_000,
  },
  async () => {
    await withDatabase("limits", async (dbUrl, store, workers) => {
      const [max, per, concurrency] = [4, 1_000, 2];
      workers.push(
        ...[1, 2, 3].map(() =>
          startFixture("limit_worker.ts", [
            dbUrl,
            String(max),
            String(per),
            String(concurrency),
            "30",
          ])
        ),
      );
      await Promise.all(workers.map((worker) => worker.printed("ready", 30_000)));
      const queue = kinetik(new PostgresStore({ url: dbUrl, max: 2 }));
      try {
        await queue.createMany([
          ...Array.from({ length: 16 }, (_, i) => ({ task: "api", data: { i } })),
          ...Array.from({ length: 12 }, (_, i) => ({ task: "render", data: { i } })),
          ...Array.from({ length: 12 }, (_, i) => ({ task: "free", data: { i } })),
        ]);
      } finally {
        await queue.close();
      }
      await waitFor(
        async () => (await store.count({ status: "completed" })) === 40,
        60_000,
        "40 completed jobs",
        50,
      );

      const completed = (task: string) =>
        store.find({ task, status: "completed" }, { offset: 0, limit: 100 });
      const apiStarts = startsOf(await completed("api"));
      for (let i = max; i < apiStarts.length; i++) {
        assert.ok(
          apiStarts[i] - apiStarts[i - max] >= per,
          `at most ${max} starts in any ${per} ms: ${apiStarts.slice(i - max, i + 1)}`,
        );
      }
      // Runs as the workers printed them (each inside its job's lease): never more than n at once.
      const edges = workers.flatMap((worker) =>
        worker.output().split("\n").filter((l) =>
          l.startsWith("start render") || l.startsWith("end render")
        )
          .map((l) => {
            const [kind, , , at] = l.split(" ");
            return { at: Number(at), step: kind === "start" ? 1 : -1 };
          })
      ).sort((a, b) => a.at - b.at || a.step - b.step);
      let running = 0;
      for (const edge of edges) {
        running += edge.step;
        assert.ok(running <= concurrency, `at most ${concurrency} render jobs at once`);
      }
      assert.equal(edges.length, 24, "every render job started and ended once");
      // The unlimited task went ahead of the rate-limited one instead of waiting behind it.
      const free = startsOf(await completed("free"));
      assert.ok(free.at(-1)! < apiStarts.at(-1)!, "free jobs are not held up by api's rate");
    });
  },
);

test(
  "PostgresStore: a pause holds for every process at once, and a resume reaches an idle worker in another process by NOTIFY",
  {
    skip,
    timeout: 60_000,
  },
  async () => {
    await withDatabase("pause", async (dbUrl, store, workers) => {
      const worker = startFixture("limit_worker.ts", [dbUrl, "100", "1000", "10", "1"]);
      workers.push(worker);
      await worker.printed("ready", 30_000);
      const queue = kinetik(new PostgresStore({ url: dbUrl, max: 2 }));
      try {
        const reaches: number[] = [];
        for (let round = 0; round < 5; round++) {
          await queue.pause({ tasks: ["free"] });
          const held = await queue.create("free", { round });
          // A job created after the held one: the claim that takes it would take both unpaused.
          const other = await queue.create("api", { round });
          await worker.printed(`start api ${other.id} `, 10_000);
          assert.equal((await store.get(held.id))?.status, "queued", "the paused job waits");
          const resumed = Date.now();
          await queue.resume({ tasks: ["free"] });
          await worker.printed(`start free ${held.id} `, 10_000);
          const line = worker.output().split("\n").find((l) =>
            l.startsWith(`start free ${held.id} `)
          )!;
          reaches.push(Number(line.split(" ")[3]) - resumed);
        }
        console.log(`resume reached the idle worker in ${reaches.join(", ")} ms`);
      } finally {
        await queue.close();
      }
    });
  },
);
