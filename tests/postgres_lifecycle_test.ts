import assert from "node:assert/strict";
import { after, test } from "node:test";
import postgres from "postgres";
import { kinetik } from "../mod.ts";
import { STORE_MESSAGES } from "../src/store.ts";
import { PostgresStore } from "../stores/postgres.ts";
import { migrate, SCHEMA_VERSION } from "../stores/postgres/_schema.ts";
import { waitFor } from "./_helpers.ts";
import { freshDatabase, startFixture, stopFixture } from "./_postgres_fixtures.ts";
import { postgresServer } from "./_postgres_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL lifecycle tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

test("PostgresStore migrates a schema made by version 1 in place, keeping its jobs", {
  skip,
}, async () => {
  const sql = postgres(await freshDatabase(url, "migrate"), { max: 2, onnotice: () => {} });
  try {
    await migrate(sql, "kinetik", 1);
    // Rows as version 1 wrote them: a keyed waiting job, two completed ones and a failed one.
    const line = (time: number) => `{"time":${time},"message":"Created"}\n`;
    await sql.unsafe(
      `INSERT INTO kinetik.jobs (task, status, priority, created, key, held_key, data, error,
         finished, attempts, logs) VALUES
       ('t', 'queued', 0, 1, 'k', 'k', '{"n":1}', NULL, NULL, 0, $1),
       ('t', 'completed', 0, 2, NULL, NULL, '{"n":2}', NULL, 10, 1, $2),
       ('t', 'completed', 0, 3, NULL, NULL, '{"n":3}', NULL, 20, 1, $3),
       ('t', 'failed', 0, 4, NULL, NULL, '{"n":4}', '{"message":"no"}', 30, 1, $4)`,
      [line(1), line(2), line(3), line(4)],
    );
    const store = new PostgresStore({ sql });
    try {
      await store.ready();
      const versions = await sql`SELECT version FROM kinetik.migrations ORDER BY 1`;
      assert.deepEqual(
        versions.map((row) => row.version),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      assert.deepEqual(await store.stats(), { t: { queued: 1, completed: 2, failed: 1 } });
      const [again] = await store.add([{
        task: "t",
        data: null,
        created: 5,
        priority: 0,
        key: "k",
        log: { time: 5, message: "Created" },
      }]);
      assert.equal(again.id, "1", "the old job still holds its key");
      assert.deepEqual(await store.logs("1"), [{ time: 1, message: "Created" }]);
      // The new verbs on the old rows: a sweep through the new index, pause, limits, promote.
      assert.equal(await store.remove({ status: ["completed"], before: 15, limit: 10 }), 1);
      assert.equal(await store.get("2"), undefined);
      assert.equal((await store.get("3"))?.status, "completed");
      await store.pause({ tags: [], tasks: ["t"] });
      const request = { groups: [["t"]], limit: 5, worker: "w", leaseMs: 1_000, now: 50 };
      assert.deepEqual((await store.claim(request)).jobs, []);
      await store.resume({ tags: [], tasks: ["t"] });
      const { jobs } = await store.claim({ ...request, limits: { t: { concurrency: 1 } } });
      assert.deepEqual(jobs.map((job) => job.id), ["1"]);
      assert.equal((await store.removeJob("4"))?.status, "failed");
    } finally {
      await store.close();
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test(
  "PostgresStore keeps the lines a run logged up to its last renewal when its worker is killed",
  {
    skip,
    timeout: 60_000,
  },
  async () => {
    const dbUrl = await freshDatabase(url, "crash");
    const store = new PostgresStore({ url: dbUrl, max: 2 });
    const queue = kinetik(store);
    // A 900 ms lease: the worker renews every 300 ms, sending the lines written since.
    const worker = startFixture("steps_worker.ts", [dbUrl, "900"]);
    try {
      await worker.printed("ready ");
      const job = await queue.create("steps", { lines: 5, pause: 20, hang: true });
      await worker.printed(`hanging ${job.id}`);
      await waitFor(
        async () => (await store.logs(job.id)).some((line) => line.message === "step 5"),
        5_000,
        "a renewal carrying step 5",
        20,
      );
      await stopFixture(worker, true);

      const before = await store.get(job.id);
      assert.equal(before?.status, "processing", "the killed run never settled");
      assert.deepEqual(before?.progress, { current: 5, total: 5 }, "progress came with the lines");
      const steps = (await store.logs(job.id)).filter((line) => line.message.startsWith("step "));
      assert.deepEqual(steps.map((line) => line.message), [1, 2, 3, 4, 5].map((i) => `step ${i}`));

      const [recovered] = await store.recover(before!.leaseUntil! + 1);
      assert.equal(recovered.status, "queued");
      const lines = await store.logs(job.id);
      assert.equal(lines.at(-1)?.message, STORE_MESSAGES.stalledRequeued, "recovery comes last");
      assert.equal(lines.filter((line) => line.message.startsWith("step ")).length, 5);
    } finally {
      await stopFixture(worker, true);
      await queue.close();
    }
  },
);
