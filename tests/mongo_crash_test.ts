import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import { STORE_MESSAGES } from "../src/store.ts";
import { MongoStore } from "../stores/mongo.ts";
import { ROOT } from "./_cli_binary.ts";
import { spawnChild } from "./_cli_process.ts";
import { waitFor } from "./_helpers.ts";
import { mongoServer } from "./_mongo_server.ts";
import { unavailable } from "./_unavailable.ts";

// Logs that survive a crash, across processes: a worker process (tests/fixtures/steps_worker.ts)
// runs a job that logs and then hangs, its renewals flush the lines, and it is killed with
// SIGKILL. Against the mongo-wire emulator (not MongoDB) unless KINETIK_MONGO_URL names a server.

const server = await mongoServer();
const skip = unavailable(
  "the MongoDB crash tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const database = `kinetik_crash_${Date.now().toString(36)}`;

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

/** The worker's lease: a renewal every 200 ms. */
const LEASE = 600;

test(
  "MongoStore keeps what a job logged up to its last renewal when its worker is killed with SIGKILL",
  { skip, timeout: 30_000 },
  async () => {
    const file = join(ROOT, "tests", "fixtures", "steps_worker.ts");
    const storeUrl = `${url.replace(/\/?$/, "")}/${database}`;
    const args = "Deno" in globalThis
      ? ["run", "-A", file, storeUrl, String(LEASE)]
      : [file, storeUrl, String(LEASE)];
    const store = new MongoStore({ url: storeUrl });
    const worker = spawnChild(process.execPath, args, { cwd: ROOT });
    try {
      await worker.printed("ready ");
      const [job] = await store.add([{
        task: "steps",
        data: { lines: 3, pause: 10, hang: true },
        created: Date.now(),
        priority: 0,
        log: { time: Date.now(), message: "Created" },
      }]);
      await worker.printed(`hanging ${job.id}`);
      // The job hangs after its last line: only a renewal can have written the lines.
      await waitFor(
        async () => (await store.logs(job.id)).some((line) => line.message === "step 3"),
        10_000,
        "a renewal to flush the lines",
      );
      process.kill(worker.pid, "SIGKILL");
      assert.equal(await worker.exited, "SIGKILL");

      const stored = await store.get(job.id);
      assert.equal(stored?.status, "processing", "the killed run never settled");
      assert.deepEqual(stored?.progress, { current: 3, total: 3 }, "its progress came along");
      const recovered = await store.recover(stored!.leaseUntil! + 1);
      assert.deepEqual(recovered.map((j) => [j.id, j.status]), [[job.id, "queued"]]);
      const messages = (await store.logs(job.id)).map((line) => line.message);
      const steps = messages.filter((message) => message.startsWith("step "));
      assert.deepEqual(steps, ["step 1", "step 2", "step 3"], "each line once, in order");
      assert.equal(messages.at(-1), STORE_MESSAGES.stalledRequeued);
    } finally {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        process.kill(worker.pid, "SIGKILL");
      }
      await worker.exited;
      await store.close();
    }
  },
);
