import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import type { Job } from "../src/job.ts";
import type { FindOptions, JobQuery } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { MIGRATIONS, SCHEMA_VERSION } from "../stores/sqlite/_schema.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-sqlite-keyset-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const T0 = 1_700_000_000_000;
const TASKS = ["alpha", "beta", "gamma"];
const FINAL = ["completed", "failed", "cancelled"];

/**
 * A schema 6 file (the release before the index diet) with 90 jobs: three tasks, each with
 * queued, delayed, processing and finished jobs, created out of id order so that creation
 * order and id order differ.
 */
function writeVersion6(path: string): void {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  for (const sql of MIGRATIONS.slice(0, 6)) db.exec(sql);
  db.exec("PRAGMA user_version = 6");
  const insert = db.prepare(
    `INSERT INTO jobs (task, data, status, created, run_at, priority, key, started, finished,
       lease_until, token, logs) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?, '')`,
  );
  for (let n = 0; n < 90; n++) {
    const task = TASKS[n % 3];
    const kind = Math.floor(n / 3) % 6;
    const status = ["queued", "delayed", "processing", ...FINAL][kind];
    const created = T0 + ((n * 37) % 90) * 10;
    insert.run(
      task,
      JSON.stringify({ n }),
      status,
      created,
      status === "delayed" ? T0 + 1_000_000 : null,
      status === "queued" ? `key-${n}` : null,
      status === "processing" || FINAL.includes(status) ? created + 1 : null,
      FINAL.includes(status) ? created + 2 : null,
      status === "processing" ? created + 5 : null,
      status === "processing" ? `token-${n}` : null,
    );
  }
  db.close();
}

/** Records the SQL of every statement prepared from now on, until `stop()`. */
function recordPrepared(): { sqls: Set<string>; stop(): void } {
  const sqls = new Set<string>();
  const prepare = DatabaseSync.prototype.prepare;
  DatabaseSync.prototype.prepare = function (this: DatabaseSync, sql: string) {
    sqls.add(sql);
    return prepare.call(this, sql);
  } as typeof prepare;
  return { sqls, stop: () => DatabaseSync.prototype.prepare = prepare };
}

/** Every page of `query` in `sort` order, each read with the `after` cursor of the last. */
async function pages(store: SqliteStore, query: JobQuery, sort: FindOptions["sort"]) {
  const jobs: Job[] = [];
  for (;;) {
    const page = await store.find(query, { offset: 0, limit: 7, sort, after: jobs.at(-1) });
    if (page.length === 0) return jobs;
    jobs.push(...page);
  }
}

/** `jobs` as the memory store orders them: by creation time, ties by id. */
function expected(jobs: Job[], direction: 1 | -1): string[] {
  return jobs.toSorted((a, b) => (a.created - b.created || Number(a.id) - Number(b.id)) * direction)
    .map((job) => job.id);
}

test("SqliteStore() migrates a schema 6 file to schema 7 with every job, and every statement reads jobs through an index", async () => {
  const path = join(dir, "v6.db");
  writeVersion6(path);
  const recorded = recordPrepared();
  const store = new SqliteStore({ path });
  try {
    const file = new DatabaseSync(path);
    const meta = () => ({
      version: (file.prepare("PRAGMA user_version").get() as { user_version: number })
        .user_version,
      indexes: (file.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'jobs' ORDER BY name",
      ).all() as { name: string }[]).map((row) => row.name),
    });
    assert.deepEqual(meta(), {
      version: SCHEMA_VERSION,
      indexes: [
        "jobs_created",
        "jobs_delayed",
        "jobs_finished",
        "jobs_key",
        "jobs_ready",
        "jobs_status",
      ],
    });
    const all = await pages(store, {}, undefined);
    assert.equal(all.length, 90, "every job survived the migration");
    assert.equal(await store.count({}), 90);

    {
      // The HTTP API's job lists: by status and/or task, newest or oldest first, with cursors.
      const queries: JobQuery[] = [
        {},
        { status: "completed" },
        { task: "beta" },
        { status: "failed", task: "gamma" },
        { status: { $in: ["queued", "processing"] } },
        { status: "cancelled", task: { $in: ["alpha", "beta"] } },
      ];
      for (const query of queries) {
        const matches = all.filter((job) =>
          Object.entries(query).every(([field, condition]) => {
            const value = job[field as "status" | "task"];
            return typeof condition === "string"
              ? value === condition
              : (condition as { $in: string[] }).$in.includes(value);
          })
        );
        assert.ok(matches.length > 0);
        for (const direction of [1, -1] as const) {
          const ids = (await pages(store, query, { field: "created", direction }))
            .map((job) => job.id);
          assert.deepEqual(ids, expected(matches, direction), JSON.stringify(query));
          const byId = await pages(store, query, { field: "id", direction });
          assert.equal(byId.length, matches.length);
        }
        assert.equal(await store.count(query), matches.length);
        // A condition the indexes do not hold is matched in memory, on rows read in order.
        const firstTwo = await store.find({ ...query, "data.n": { $gte: 0 } }, {
          offset: 0,
          limit: 2,
        });
        assert.deepEqual(firstTwo.map((job) => job.id), expected(matches, 1).slice(0, 2));
      }
      await store.stats();
      // Dedupe, claim, settle, recover, promote, retention.
      const [dup] = await store.add([{
        task: "alpha",
        data: null,
        created: T0 + 5_000,
        priority: 0,
        key: "key-0",
        log: { time: T0 + 5_000, message: "Created" },
      }]);
      assert.equal(dup.id, "1", "the key still finds its unfinished job");
      const now = T0 + 6_000;
      const claimed = await store.claim({
        groups: [["alpha"]],
        limit: 2,
        worker: "w",
        leaseMs: 1_000,
        now,
      });
      assert.equal(claimed.jobs.length, 2);
      const [one, two] = claimed.jobs;
      await store.settle([
        { id: one.id, token: one.token, outcome: "completed", now, logs: [] },
        {
          id: two.id,
          token: two.token,
          outcome: "failed",
          now,
          logs: [],
          error: { message: "no" },
        },
      ], { groups: [["beta"]], limit: 1, worker: "w", leaseMs: 1_000, now });
      assert.equal((await store.recover(T0 + 100_000)).length > 0, true);
      const delayed = all.find((job) => job.status === "delayed")!;
      assert.equal((await store.promote(delayed.id, now))?.status, "queued");
      assert.ok(await store.remove({ status: ["completed"], before: T0 + 500, limit: 5 }) > 0);
      assert.ok(await store.remove({ status: ["cancelled"], tasks: ["gamma"] }) > 0);
    }
    recorded.stop();
    const sqls = [...recorded.sqls];

    const problems: string[] = [];
    for (const sql of sqls.filter((sql) => /\bjobs\b/.test(sql))) {
      const plan = (file.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[])
        .map((row) => row.detail);
      // A walk of the table itself is fine only in id order with a LIMIT: it stops there.
      const scans = plan.filter((line) => /^SCAN jobs$/.test(line));
      if (scans.length > 0 && !/ORDER BY id (ASC|DESC)\s+LIMIT/.test(sql)) {
        problems.push(`${sql}\n  ${plan.join(" / ")}`);
      }
      // A page in creation order comes from an index in that order, never from a sort.
      if (/ORDER BY created/.test(sql) && plan.some((line) => /TEMP B-TREE/.test(line))) {
        problems.push(`${sql}\n  ${plan.join(" / ")}`);
      }
    }
    assert.deepEqual(problems, []);
    assert.ok(sqls.some((sql) => /WITH RECURSIVE/.test(sql)), "status lists found their tasks");
    file.close();
  } finally {
    recorded.stop();
    await store.close();
  }
});
