import assert from "node:assert/strict";
import { after, test } from "node:test";
import postgres from "postgres";
import { METRICS_RETENTION_MS } from "../src/metrics.ts";
import type { MetricsSample } from "../src/store.ts";
import { PostgresStore } from "../stores/postgres.ts";
import { migrate, SCHEMA_VERSION } from "../stores/postgres/_schema.ts";
import { withTimeout } from "./_helpers.ts";
import { freshDatabase } from "./_postgres_fixtures.ts";
import { postgresServer } from "./_postgres_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL metrics tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const MINUTE = 60_000;
const M0 = 1_700_000_040_000;

function sample(minute: number, fields: Partial<MetricsSample> = {}): MetricsSample {
  return { task: "t", minute, completed: 0, failed: 0, runtimes: {}, ...fields };
}

test("PostgresStore.recordMetrics() works on a schema made before the metrics table existed", {
  skip,
}, async () => {
  const sql = postgres(await freshDatabase(url, "metrics_migrate"), {
    max: 2,
    onnotice: () => {},
  });
  try {
    // The schema as the step before the metrics step left it, with one job in it.
    await migrate(sql, "kinetik", 2);
    await sql.unsafe(
      `INSERT INTO kinetik.jobs (task, status, priority, created, data, attempts, logs)
       VALUES ('t', 'queued', 0, 1, '{"n":1}', 0, '')`,
    );
    const store = new PostgresStore({ sql });
    try {
      assert.deepEqual((await store.get("1"))?.data, { n: 1 }, "the jobs are kept");
      const versions = await sql`SELECT version FROM kinetik.migrations ORDER BY 1`;
      assert.deepEqual(
        versions.map((row) => row.version),
        Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      );
      const one = sample(M0, { completed: 2, failed: 1, runtimes: { "5": 3 } });
      await store.recordMetrics([one], M0);
      await store.recordMetrics([one], M0);
      assert.deepEqual(await store.metrics(M0), [
        sample(M0, { completed: 4, failed: 2, runtimes: { "5": 6 } }),
      ]);
    } finally {
      await store.close();
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
});

test("PostgresStore.recordMetrics() writes no sample of a minute older than 24 hours", {
  skip,
}, async () => {
  const store = new PostgresStore({ url, schema: "metrics_old_sample", max: 2 });
  try {
    const now = M0 + METRICS_RETENTION_MS + MINUTE;
    await store.recordMetrics([
      sample(M0, { completed: 1, runtimes: { "1": 1 } }),
      sample(now, { completed: 2, runtimes: { "1": 2 } }),
    ], now);
    assert.deepEqual((await store.metrics(0)).map((s) => [s.minute, s.completed]), [[now, 2]]);
  } finally {
    await store.close();
  }
});

test("PostgresStore.recordMetrics() passes over an old minute another transaction holds", {
  skip,
}, async () => {
  const schema = "metrics_held";
  const store = new PostgresStore({ url, schema, max: 2 });
  const holder = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await store.recordMetrics([sample(M0, { completed: 1 })], M0);
    const now = M0 + METRICS_RETENTION_MS + MINUTE;
    let release!: () => void;
    const released = new Promise<void>((resolve) => release = resolve);
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => locked = resolve);
    // Another store's record in flight, holding the old row (as its upsert would).
    const held = holder.begin(async (tx) => {
      await tx.unsafe(`SELECT 1 FROM "${schema}".metrics WHERE minute = $1 FOR UPDATE`, [M0]);
      locked();
      await released;
    });
    await withTimeout(isLocked, undefined, "the row lock");
    try {
      // Waiting on that row here would deadlock against a record holding a row this one wants.
      await withTimeout(
        store.recordMetrics([sample(now, { failed: 1 })], now),
        undefined,
        "a record beside the held row",
      );
      assert.deepEqual((await store.metrics(0)).map((s) => s.minute), [M0, now], "kept for now");
    } finally {
      release();
      await held;
    }
    await store.recordMetrics([], now);
    assert.deepEqual((await store.metrics(0)).map((s) => s.minute), [now], "dropped later");
  } finally {
    await holder.end({ timeout: 5 });
    await store.close();
  }
});

test("PostgresStore.metrics() and recordMetrics() reject with a StoreError once closed", async () => {
  const store = new PostgresStore({ url: "postgres://postgres@127.0.0.1:1/none", max: 1 });
  await store.close();
  await assert.rejects(store.metrics(0), {
    name: "StoreError",
    message: "postgres: Cannot read metrics as the store is closed",
  });
  await assert.rejects(store.recordMetrics([], 0), {
    name: "StoreError",
    message: "postgres: Cannot record metrics as the store is closed",
  });
});
