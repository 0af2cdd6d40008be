import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../stores/sqlite.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../stores/sqlite/_schema.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-sqlite-schema-"));
let files = 0;
const freshPath = () => join(dir, `schema-${++files}.db`);
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const line = (time: number, message: string) => JSON.stringify({ time, message }) + "\n";

/**
 * A file as Kinetik 0.1 (schema 1) left it, written with that version's own statements: a
 * queued job, a delayed one, a completed one with its log, and a removed job whose id the
 * sequence still remembers.
 */
function writeVersion1(path: string): void {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(MIGRATIONS[0]);
  db.exec("PRAGMA user_version = 1");
  const insert = db.prepare(
    `INSERT INTO jobs (task, data, status, created, run_at, priority, key, logs)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  insert.run("old", '{"n":1}', "queued", T0, null, 0, "k1", line(T0, "Created"));
  insert.run("old", '{"n":2}', "delayed", T0, T0 + 500, 1, null, line(T0, "Created"));
  insert.run("old", "null", "completed", T0, null, 0, null, line(T0, "Created"));
  db.exec(`UPDATE jobs SET attempts = 1, max_attempts = 3, started = ${T0 + 1},
    finished = ${T0 + 2}, logs = logs || '${line(T0 + 2, "Completed")}' WHERE id = 3`);
  insert.run("old", "null", "queued", T0, null, 0, null, line(T0, "Created"));
  db.exec("DELETE FROM jobs WHERE id = 4");
  db.close();
}

test("SqliteStore() migrates a schema 1 file in place to the current schema, keeping its jobs, logs and ids", async () => {
  const path = freshPath();
  writeVersion1(path);
  const store = new SqliteStore({ path });
  try {
    const version = new DatabaseSync(path);
    assert.equal(
      (version.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      SCHEMA_VERSION,
    );
    version.close();
    assert.deepEqual(await store.get("1"), {
      id: "1",
      task: "old",
      data: { n: 1 },
      status: "queued",
      created: T0,
      attempts: 0,
      priority: 0,
      key: "k1",
    });
    assert.deepEqual(await store.get("3"), {
      id: "3",
      task: "old",
      data: null,
      status: "completed",
      created: T0,
      attempts: 1,
      priority: 0,
      maxAttempts: 3,
      started: T0 + 1,
      finished: T0 + 2,
    });
    assert.deepEqual((await store.logs("3")).map((l) => l.message), ["Created", "Completed"]);

    // The old jobs take part in what version 4 adds: a result, a sweep, a key, a promote.
    const { jobs: [leased] } = await store.claim({
      groups: [["old"]],
      limit: 1,
      worker: "w",
      leaseMs: 1_000,
      now: T0 + 10,
      maxAttempts: { old: 2 },
    });
    assert.equal(leased.id, "1");
    assert.equal(leased.maxAttempts, 2);
    const { jobs: [done] } = await store.settle([{
      id: "1",
      token: leased.token,
      outcome: "completed",
      now: T0 + 20,
      logs: [],
      result: { ok: true },
    }]);
    assert.deepEqual(done?.result, { ok: true });
    assert.equal(await store.remove({ status: ["completed"], before: T0 + 10, limit: 10 }), 1);
    assert.equal(await store.get("3"), undefined, "the old finished job was swept");
    assert.equal((await store.promote("2", T0 + 30))?.status, "queued");

    const [fresh] = await store.add([{
      task: "new",
      data: null,
      created: T0 + 40,
      priority: 0,
      log: { time: T0 + 40, message: "Created" },
      timeout: 5_000,
      trace: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
    }]);
    assert.equal(fresh.id, "5", "a removed job's id is never given out again");
    assert.deepEqual(await store.get("5"), fresh);

    // And in what version 5 adds: pause, limits, schedules.
    await store.pause({ tags: [], tasks: ["old"] });
    assert.deepEqual(await store.paused(), { tags: [], tasks: ["old"] });
    const claimOld = (now: number) =>
      store.claim({
        groups: [["old"]],
        limit: 5,
        worker: "w",
        leaseMs: 1_000,
        now,
        limits: { old: { rate: { max: 1, per: 1_000 } } },
      });
    assert.deepEqual((await claimOld(T0 + 50)).jobs, [], "the paused task is skipped");
    await store.resume({ tags: [], tasks: ["old"] });
    assert.deepEqual((await claimOld(T0 + 60)).jobs.map((job) => job.id), ["2"]);
    const schedule = {
      id: "nightly",
      task: "old",
      cron: "0 2 * * *",
      tz: "UTC",
      data: null,
      priority: 0,
      missed: "latest" as const,
      next: T0 + 3_600_000,
      spec: "nightly v1",
    };
    assert.deepEqual(await store.schedule(schedule), schedule);
    assert.deepEqual(await store.schedules(), [schedule]);
  } finally {
    await store.close();
  }
});

test("SqliteStore() gives a schema 1 file the keyset indexes and pages its jobs by keyset", async () => {
  const path = freshPath();
  const db = new DatabaseSync(path);
  db.exec(MIGRATIONS[0]);
  db.exec("PRAGMA user_version = 1");
  const insert = db.prepare(
    `INSERT INTO jobs (task, data, status, created, priority, logs) VALUES (?, ?, 'queued', ?, 0, ?)`,
  );
  for (const n of [3, 1, 2]) insert.run("resize", `{"n":${n}}`, T0 + n, line(T0, "Created"));
  const indexes = () =>
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE '%created'")
      .all() as { name: string }[]).map((row) => row.name).sort();
  assert.deepEqual(indexes(), []);
  const store = new SqliteStore({ path });
  try {
    assert.deepEqual(indexes(), ["jobs_created"]);
    const [first] = await store.find({ status: "queued" }, { offset: 0, limit: 1 });
    assert.deepEqual(first.data, { n: 1 });
    const page = await store.find({ status: "queued" }, { offset: 0, limit: 5, after: first });
    assert.deepEqual(page.map((job) => (job.data as { n: number }).n), [2, 3]);
  } finally {
    db.close();
    await store.close();
  }
});

test("SqliteStore() migrates a schema 3 file (with metrics) in place, keeping its jobs, logs and metrics", async () => {
  // The file as the release with the metrics table (steps 1 to 3) left it.
  const path = freshPath();
  const old = new DatabaseSync(path);
  old.exec("PRAGMA journal_mode = WAL");
  for (const sql of MIGRATIONS.slice(0, 3)) old.exec(sql);
  old.exec("PRAGMA user_version = 3");
  old.prepare(
    `INSERT INTO jobs (task, data, status, created, attempts, max_attempts, started, finished, logs)
     VALUES ('old', '{"n":1}', 'completed', ?, 1, 3, ?, ?, ?)`,
  ).run(T0, T0 + 1, T0 + 2, line(T0, "Created") + line(T0 + 2, "Completed"));
  old.prepare(
    "INSERT INTO jobs (task, data, status, created, logs) VALUES ('old', '{\"n\":2}', 'queued', ?, ?)",
  ).run(T0, line(T0, "Created"));
  old.prepare(
    "INSERT INTO metrics (minute, task, completed, failed, runtimes) VALUES (?, 'old', 1, 0, ?)",
  ).run(T0, '{"3":1}');
  old.close();

  const store = new SqliteStore({ path });
  try {
    const version = new DatabaseSync(path);
    assert.equal(
      (version.prepare("PRAGMA user_version").get() as { user_version: number }).user_version,
      SCHEMA_VERSION,
    );
    const tables = (version.prepare(
      "SELECT name FROM sqlite_master WHERE type = 'table' AND name IN ('metrics', 'paused', 'rate_starts', 'schedules') ORDER BY name",
    ).all() as { name: string }[]).map((row) => row.name);
    version.close();
    assert.deepEqual(tables, ["metrics", "paused", "rate_starts", "schedules"]);
    assert.equal((await store.get("1"))?.status, "completed");
    assert.deepEqual((await store.logs("1")).map((l) => l.message), ["Created", "Completed"]);
    assert.deepEqual(await store.metrics(T0), [
      { task: "old", minute: T0, completed: 1, failed: 0, runtimes: { "3": 1 } },
    ]);

    // The kept jobs take part in what steps 4 and 5 add: a result, a sweep, a pause.
    await store.pause({ tags: [], tasks: ["old"] });
    const claimOld = () =>
      store.claim({ groups: [["old"]], limit: 1, worker: "w", leaseMs: 1_000, now: T0 + 10 });
    assert.deepEqual((await claimOld()).jobs, [], "the paused task is skipped");
    await store.resume({ tags: [], tasks: ["old"] });
    const { jobs: [leased] } = await claimOld();
    assert.equal(leased.id, "2");
    const { jobs: [done] } = await store.settle([{
      id: "2",
      token: leased.token,
      outcome: "completed",
      now: T0 + 20,
      logs: [],
      result: [1, 2],
    }]);
    assert.deepEqual(done?.result, [1, 2]);
    assert.equal(await store.remove({ status: ["completed"], before: T0 + 10, limit: 10 }), 1);
    assert.equal(await store.get("1"), undefined, "the old finished job was swept");
  } finally {
    await store.close();
  }
});
