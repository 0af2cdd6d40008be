import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { SqliteStore } from "../stores/sqlite.ts";
import { MIGRATIONS } from "../stores/sqlite/_schema.ts";

const M0 = 1_700_000_040_000;

test("SqliteStore.recordMetrics() works on a file made before the metrics table existed", async () => {
  const dir = mkdtempSync(join(tmpdir(), "kinetik-sqlite-metrics-"));
  const path = join(dir, "old.db");
  try {
    // The file as the steps before the metrics step left it, with one job in it.
    const step = MIGRATIONS.findIndex((sql) => sql.includes("CREATE TABLE metrics"));
    assert.ok(step > 0, "the metrics step follows the first");
    const db = new DatabaseSync(path);
    for (const sql of MIGRATIONS.slice(0, step)) db.exec(sql);
    db.exec(`PRAGMA user_version = ${step}`);
    db.exec(
      "INSERT INTO jobs (task, data, status, created) VALUES ('t', '{\"n\":1}', 'queued', 0)",
    );
    db.close();

    const reopened = new SqliteStore({ path });
    try {
      assert.deepEqual((await reopened.get("1"))?.data, { n: 1 }, "the jobs are kept");
      const sample = { task: "t", minute: M0, completed: 2, failed: 1, runtimes: { "5": 3 } };
      await reopened.recordMetrics([sample], M0);
      await reopened.recordMetrics([sample], M0);
      assert.deepEqual(await reopened.metrics(M0), [
        { task: "t", minute: M0, completed: 4, failed: 2, runtimes: { "5": 6 } },
      ]);
    } finally {
      await reopened.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("SqliteStore.metrics() rejects with a StoreError naming sqlite once closed", async () => {
  const store = new SqliteStore({ path: ":memory:" });
  await store.close();
  await assert.rejects(store.metrics(0), {
    name: "StoreError",
    message: "sqlite: Cannot read metrics as the store is closed",
  });
  await assert.rejects(store.recordMetrics([], 0), {
    name: "StoreError",
    message: "sqlite: Cannot record metrics as the store is closed",
  });
});
