import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import { STORE_MESSAGES } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { withTimeout } from "./_helpers.ts";
import { Child, readIds, SLOW, until, withDatabase } from "./_sqlite_processes.ts";

test(
  "SqliteStore: four worker processes run 5,000 jobs of a producer process exactly once",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned, fresh) => {
      const results = [1, 2, 3, 4].map((n) => fresh(`results-${n}.txt`));
      const workers = results.map((file) =>
        new Child("sqlite_worker.ts", [path, file, "30000", "10"])
      );
      spawned.push(...workers);
      await Promise.all(workers.map((worker) => worker.line(/^ready$/)));

      const producer = new Child("sqlite_producer.ts", [path, "5000"]);
      spawned.push(producer);
      await producer.line(/^done$/);
      assert.equal(await withTimeout(producer.exited, 10_000, "the producer to exit"), 0);
      await until(
        async () => (await store.count({ status: "completed" })) === 5_000,
        15_000,
        "5,000 completed jobs",
      );

      // Graceful stop; the exit status is not compared, as Deno's child_process reports a child
      // that exits 0 on SIGTERM as killed by the signal.
      await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
      for (const worker of workers) await worker.line(/^stopped$/, 0);
      const runs = results.flatMap(readIds);
      const unique = new Set(runs);
      assert.equal(runs.length, 5_000, "every job ran once: no duplicates");
      assert.equal(unique.size, 5_000, "no job is missing");
      const stored = new Set(
        (await store.find({}, { offset: 0, limit: 10_000 })).map((job) => job.id),
      );
      assert.deepEqual(unique, stored);
      // SQLite's write lock is not fair: on a loaded machine one of four workers may get no job
      // before the others drain the queue, so the test only asks that they shared the work.
      const busy = results.filter((file) => readIds(file).length > 0);
      assert.ok(busy.length >= 2, `${busy.length} of 4 workers took part`);
    });
  },
);

test(
  "SqliteStore: a job whose worker is SIGKILLed mid-run is recovered and completed by another",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned, fresh) => {
      const [firstResults, secondResults] = [fresh("first.txt"), fresh("second.txt")];
      const first = new Child("sqlite_worker.ts", [path, firstResults, "500", "1"]);
      spawned.push(first);
      await first.line(/^ready$/);
      const [job] = await store.add([{
        task: "record",
        data: { hold: true },
        created: Date.now(),
        priority: 0,
        log: { time: Date.now(), message: "Created" },
      }]);
      await first.line(new RegExp(`^started ${job.id}$`));

      const second = new Child("sqlite_worker.ts", [path, secondResults, "500", "1"]);
      spawned.push(second);
      await second.line(/^ready$/);
      assert.equal((await store.get(job.id))?.status, "processing");
      assert.equal(await first.stop("SIGKILL"), "SIGKILL");

      // The lease is 500 ms: recovered and run again well within 5 s of the kill.
      await until(
        async () => (await store.get(job.id))?.status === "completed",
        5_000,
        "recovery within 5 s",
      );
      const done = await store.get(job.id);
      assert.equal(done?.attempts, 2);
      assert.deepEqual(readIds(firstResults), []);
      assert.deepEqual(readIds(secondResults), [job.id]);
      const messages = (await store.logs(job.id)).map((line) => line.message);
      assert.ok(messages.includes(STORE_MESSAGES.stalledRequeued), messages.join(" | "));
    });
  },
);

test(
  "SqliteStore: a job survives its producer being SIGKILLed right after create() resolved",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned, fresh) => {
      const producer = new Child("sqlite_producer.ts", [path, "one"]);
      spawned.push(producer);
      const id = (await producer.line(/^created \d+$/)).split(" ")[1];
      assert.equal(await producer.stop("SIGKILL"), "SIGKILL");

      assert.equal((await store.get(id))?.status, "queued");
      const results = fresh("results.txt");
      const worker = new Child("sqlite_worker.ts", [path, results, "30000", "1"]);
      spawned.push(worker);
      await until(
        async () => (await store.get(id))?.status === "completed",
        10_000,
        "job completed",
      );
      assert.deepEqual(readIds(results), [id]);
    });
  },
);

test(
  "SqliteStore: cancelling a job aborts its run in the worker process that runs it",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned, fresh) => {
      const results = fresh("results.txt");
      const worker = new Child("sqlite_worker.ts", [path, results, "30000", "1"]);
      spawned.push(worker);
      await worker.line(/^ready$/);
      const queue = kinetik(new SqliteStore({ path }));
      try {
        const job = await queue.create("record", { hold: true });
        await worker.line(new RegExp(`^started ${job.id}$`));
        assert.equal(await queue.cancel(job.id), true);
        await worker.line(new RegExp(`^aborted ${job.id}$`), 5_000);
        assert.equal((await store.get(job.id))?.status, "cancelled");
        assert.deepEqual(readIds(results), []);
      } finally {
        await queue.close();
      }
    });
  },
);

test(
  "SqliteStore: a SIGKILLed run keeps the lines and progress its last renewal wrote",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const lease = 300; // renewals every 100 ms
      const worker = new Child("steps_worker.ts", [`sqlite:${path}`, String(lease)]);
      spawned.push(worker);
      await worker.line(/^ready \d+$/);
      const now = Date.now();
      const [job] = await store.add([{
        task: "steps",
        data: { lines: 4, pause: 10, hang: true },
        created: now,
        priority: 0,
        log: { time: now, message: "Created" },
      }]);
      await worker.line(new RegExp(`^hanging ${job.id}$`));
      const steps = async () =>
        (await store.logs(job.id)).filter((line) => line.message.startsWith("step "));
      // Nothing but a renewal writes these lines: the run never settles.
      await until(async () => (await steps()).length === 4, 5_000, "a renewal with every step");
      assert.equal(await worker.stop("SIGKILL"), "SIGKILL");

      assert.deepEqual((await steps()).map((line) => line.message), [
        "step 1",
        "step 2",
        "step 3",
        "step 4",
      ]);
      assert.deepEqual((await store.get(job.id))?.progress, { current: 4, total: 4 });
      const [recovered] = await store.recover(Date.now() + lease + 1);
      assert.equal(recovered?.id, job.id, "the killed run's lease expires");
      assert.equal((await store.logs(job.id)).at(-1)?.message, STORE_MESSAGES.stalledRequeued);
      assert.equal((await steps()).length, 4, "recovery keeps the flushed lines");
    });
  },
);
