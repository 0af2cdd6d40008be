import assert from "node:assert/strict";
import { after, test } from "node:test";
import type postgres from "postgres";
import { openStore } from "../src/open_store.ts";
import { StoreError } from "../src/store.ts";
import { PostgresStore } from "../stores/postgres.ts";
import { SCHEMA_VERSION } from "../stores/postgres/_schema.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { unavailable } from "./_unavailable.ts";
import { postgresServer } from "./_postgres_server.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL store tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

let schemas = 0;
const freshSchema = () => `t${++schemas}`;

testStore(test, {
  name: "postgres",
  open: () => new PostgresStore({ url, schema: freshSchema(), max: 4 }),
  // Another pool on the same schema, as another process would open it.
  openPeer: (store) => new PostgresStore({ url, schema: (store as PostgresStore).schema, max: 4 }),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {},
});

test("PostgresStore creates its schema once when eight stores open a fresh database at once", {
  skip,
}, async () => {
  const admin = new PostgresStore({ url, schema: freshSchema(), max: 1 });
  await admin.sql`CREATE DATABASE fresh_open`;
  const freshUrl = url.replace(/\/postgres$/, "/fresh_open");
  const stores = Array.from({ length: 8 }, () => new PostgresStore({ url: freshUrl, max: 2 }));
  try {
    await Promise.all(stores.map((store) => store.ready()));
    const versions = await stores[0].sql`SELECT version FROM kinetik.migrations ORDER BY 1`;
    assert.deepEqual(
      versions.map((row) => row.version),
      Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1),
      "each migration was applied once",
    );
    const [job] = await stores[3].add([{
      task: "t",
      data: null,
      created: 1,
      priority: 0,
      log: { time: 1, message: "Created" },
    }]);
    assert.equal((await stores[5].get(job.id))?.task, "t");
  } finally {
    await Promise.all(stores.map((store) => store.close()));
    await admin.sql`DROP DATABASE fresh_open`;
    await admin.close();
  }
});

test("PostgresStore refuses a schema written by a newer Kinetik", { skip }, async () => {
  const schema = freshSchema();
  const first = new PostgresStore({ url, schema, max: 1 });
  await first.ready();
  await first.sql.unsafe(`INSERT INTO "${schema}".migrations (version) VALUES (99)`);
  await first.close();
  const store = new PostgresStore({ url, schema, max: 1 });
  try {
    await assert.rejects(store.count({}), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.equal(
        error.message,
        `postgres: Cannot open the schema ${schema} as it was written by a newer Kinetik (schema 4 supported): current value is 99`,
      );
      return true;
    });
  } finally {
    await store.close();
  }
});

test("new PostgresStore() throws for a malformed schema, URL, client or pool size", () => {
  assert.throws(
    () => new PostgresStore({ url: "postgres://h/db", schema: "Jobs" }),
    new TypeError(
      'Cannot open a PostgreSQL store as schema must be a lowercase identifier (a-z, 0-9, _; at most 56 characters, not starting with a digit): current value is "Jobs"',
    ),
  );
  for (const schema of ["", "1st", "a-b", 'x"; DROP TABLE y; --', "a".repeat(57)]) {
    assert.throws(() => new PostgresStore({ url: "postgres://h/db", schema }), TypeError);
  }
  assert.throws(
    () => new PostgresStore({ url: "mysql://h/db" }),
    new TypeError(
      'Cannot open a PostgreSQL store as it needs a postgres:// or postgresql:// URL or a postgres client: current value is "mysql://h/db"',
    ),
  );
  assert.throws(() => new PostgresStore({}), TypeError);
  assert.throws(
    () => new PostgresStore({ sql: {} as unknown as postgres.Sql }),
    /sql must be a client of the postgres package/,
  );
  assert.throws(
    () => new PostgresStore({ url: "postgres://h/db", max: 0 }),
    new RangeError(
      "Cannot open a PostgreSQL store as max must be a positive integer: current value is 0",
    ),
  );
});

test("PostgresStore rejects with a StoreError while the server is unreachable, and tries again", async () => {
  const store = new PostgresStore({ url: "postgres://postgres@127.0.0.1:1/none", max: 1 });
  try {
    for (let attempt = 0; attempt < 2; attempt++) {
      await assert.rejects(store.get("1"), (error: unknown) => {
        assert.ok(error instanceof StoreError);
        assert.match(
          error.message,
          /^postgres: Cannot open the schema kinetik as PostgreSQL failed/,
        );
        return true;
      });
    }
  } finally {
    await store.close();
  }
});

test(
  "openStore() opens a working PostgresStore for postgres:// and postgresql:// URLs",
  { skip },
  async () => {
    for (const scheme of ["postgres", "postgresql"]) {
      const store = await openStore(url.replace(/^postgres/, scheme));
      try {
        assert.ok(store instanceof PostgresStore);
        assert.equal(await store.count({}), 0);
      } finally {
        await store.close();
      }
    }
  },
);

test("PostgresStore.find() sorts text fields by code point whatever the database's collation", {
  skip,
}, async () => {
  const store = new PostgresStore({ url, schema: freshSchema(), max: 2 });
  try {
    const tasks = ["b", "B", "a", "é", "Z", "_"];
    await store.add(tasks.map((task, i) => ({
      task,
      data: null,
      created: i,
      priority: 0,
      log: { time: i, message: "Created" },
    })));
    const jobs = await store.find({}, {
      offset: 0,
      limit: 10,
      sort: { field: "task", direction: 1 },
    });
    assert.deepEqual(jobs.map((job) => job.task), [...tasks].sort());
  } finally {
    await store.close();
  }
});

test(
  "PostgresStore.logs() returns lines in time order, stable for equal times",
  { skip },
  async () => {
    const store = new PostgresStore({ url, schema: freshSchema(), max: 2 });
    try {
      const [job] = await store.add([{
        task: "t",
        data: null,
        created: 100,
        priority: 0,
        log: { time: 100, message: "Created" },
      }]);
      // A cancel written by another process lands before the run's unflushed, earlier lines.
      await store.appendLogs(job.id, [{ time: 300, message: "Cancelled" }]);
      await store.appendLogs(job.id, [
        { time: 200, message: "step 1" },
        { time: 200, message: "step 2" },
        { time: 250, message: "step 3", data: { n: 3 } },
      ]);
      assert.deepEqual((await store.logs(job.id)).map((line) => line.message), [
        "Created",
        "step 1",
        "step 2",
        "step 3",
        "Cancelled",
      ]);
    } finally {
      await store.close();
    }
  },
);

test(
  "PostgresStore keeps a job's retry, timeout, trace, own maxAttempts and result",
  { skip },
  async () => {
    const store = new PostgresStore({ url, schema: freshSchema(), max: 2 });
    try {
      const retry = { delay: 500, max: 2, backoff: "exponential" as const };
      const trace = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
      const [added] = await store.add([{
        task: "t",
        data: { n: 1 },
        created: 1,
        priority: 0,
        log: { time: 1, message: "Created" },
        retry,
        timeout: 2_000,
        trace,
        maxAttempts: 4,
      }]);
      assert.deepEqual(await store.get(added.id), added, "add returns the stored record");
      const { jobs: [leased] } = await store.claim({
        groups: [["t"]],
        limit: 1,
        worker: "w",
        leaseMs: 1_000,
        now: 2,
        maxAttempts: { t: 9 },
      });
      assert.equal(leased.maxAttempts, 4, "the job's own stall limit wins over the request's");
      const { jobs: [done] } = await store.settle([{
        id: leased.id,
        token: leased.token,
        outcome: "completed",
        now: 3,
        logs: [],
        result: { sent: ["a", "b"], none: null },
      }]);
      const stored = await store.get(added.id);
      assert.deepEqual(stored, done);
      assert.deepEqual(
        { retry: stored?.retry, timeout: stored?.timeout, trace: stored?.trace },
        { retry, timeout: 2_000, trace },
      );
      assert.deepEqual(stored?.result, { sent: ["a", "b"], none: null });
    } finally {
      await store.close();
    }
  },
);
