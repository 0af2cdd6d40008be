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

// Schedules across processes on the MongoDB store: three worker processes
// (tests/fixtures/schedule_worker.ts) each call schedule() for one one-second schedule at
// start-up and fire it together. Against the mongo-wire emulator (not MongoDB) unless
// KINETIK_MONGO_URL names a server.

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

function startWorker(storeUrl: string): Running {
  const file = join(ROOT, "tests", "fixtures", "schedule_worker.ts");
  const args = "Deno" in globalThis
    ? ["run", "-A", file, storeUrl, "latest", "100"]
    : [file, storeUrl, "latest", "100"];
  return spawnChild(process.execPath, args, { cwd: ROOT });
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
      for (const worker of workers) worker.child.kill("SIGTERM");
      await Promise.all(workers.map((worker) => worker.exited));

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
      for (const worker of workers) {
        if (worker.child.exitCode === null && worker.child.signalCode === null) {
          worker.child.kill("SIGKILL");
        }
      }
      await Promise.all(workers.map((worker) => worker.exited));
      await store.close();
    }
  },
);
