import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import { type NewJob, StoreError, type StoreMessage } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { testStore } from "../testing.ts";
import { PATIENCE, withTimeout } from "./_helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-sqlite-"));
let files = 0;
const freshPath = () => join(dir, `store-${++files}.db`);
after(() => rmSync(dir, { recursive: true, force: true }));

const paths = new WeakMap<object, string>();
testStore(test, {
  name: "sqlite",
  open: () => {
    const path = freshPath();
    const store = new SqliteStore({ path });
    paths.set(store, path);
    return store;
  },
  openPeer: (store) => new SqliteStore({ path: paths.get(store)! }),
});

const T0 = 1_700_000_000_000;
const newJob = (task: string, created = T0) => ({
  task,
  data: { n: 1 },
  created,
  priority: 0,
  log: { time: created, message: "Created" },
});
const request = (task: string, now = T0) => ({
  groups: [[task]],
  limit: 10,
  worker: "w",
  leaseMs: 1_000,
  now,
});

test("SqliteStore.add() saves a bulk of jobs in order, the keyed ones deduped, across multi-row inserts", async () => {
  const store = new SqliteStore({ path: freshPath() });
  try {
    // 150 jobs: runs of keyless jobs longer and shorter than one multi-row INSERT, keyed jobs
    // between them, a key repeated inside the batch, and jobs with every optional field.
    const jobs = Array.from({ length: 150 }, (_, n) => {
      const job: NewJob = { ...newJob(`t${n % 3}`, T0 + n), data: { n } };
      if (n % 70 === 69) job.key = `k${n}`;
      if (n === 100 || n === 140) job.key = "shared";
      if (n % 50 === 7) {
        Object.assign(job, { runAt: T0 + 10_000, maxAttempts: 4, timeout: 9, trace: { t: "x" } });
        job.retry = { delay: 5, max: 2, backoff: "fixed" };
      }
      return job;
    });
    const saved = await store.add(jobs);
    assert.equal(saved.length, 150);
    assert.equal(saved[140].id, saved[100].id);
    const ids = saved.filter((_, n) => n !== 140).map((job) => Number(job.id));
    assert.deepEqual(ids, [...ids].sort((a, b) => a - b));
    assert.equal(new Set(ids).size, 149);
    for (const [n, job] of saved.entries()) {
      assert.deepEqual(await store.get(job.id), job, `job ${n}`);
      if (n !== 140) assert.deepEqual(job.data, { n });
    }
    assert.equal(saved[7].status, "delayed");
    assert.equal(saved[7].maxAttempts, 4);
  } finally {
    await store.close();
  }
});

test("SqliteStore keeps jobs and logs across a reopen of the file", async () => {
  const path = freshPath();
  const first = new SqliteStore({ path });
  const [job] = await first.add([newJob("durable")]);
  await first.appendLogs(job.id, [{ time: T0, message: "note", data: { a: 1 } }]);
  await first.close();
  const second = new SqliteStore({ path });
  try {
    assert.deepEqual(await second.get(job.id), job);
    assert.deepEqual(await second.logs(job.id), [
      { time: T0, message: "Created" },
      { time: T0, message: "note", data: { a: 1 } },
    ]);
  } finally {
    await second.close();
  }
});

test("SqliteStore claims a job once when two connections share the file", async () => {
  const path = freshPath();
  const a = new SqliteStore({ path });
  const b = new SqliteStore({ path });
  try {
    await a.add(Array.from({ length: 40 }, () => newJob("shared")));
    const claims = await Promise.all(
      Array.from(
        { length: 8 },
        (_, i) => (i % 2 ? a : b).claim({ ...request("shared"), limit: 7 }),
      ),
    );
    const ids = claims.flatMap((c) => c.jobs.map((j) => j.id));
    assert.equal(ids.length, 40);
    assert.equal(new Set(ids).size, 40);
  } finally {
    await a.close();
    await b.close();
  }
});

test("SqliteStore.subscribe() delivers another connection's messages in order", async () => {
  const path = freshPath();
  const writer = new SqliteStore({ path });
  const reader = new SqliteStore({ path, pollInterval: 5 });
  const controller = new AbortController();
  try {
    const stream = reader.subscribe(controller.signal).getReader();
    await writer.add([newJob("remote")]);
    await writer.publish({ type: "cancel", id: "1" });
    const seen: StoreMessage[] = [];
    while (seen.length < 2) {
      seen.push((await withTimeout(stream.read(), PATIENCE, "a message")).value!);
    }
    assert.deepEqual(seen, [{ type: "wake", task: "remote" }, { type: "cancel", id: "1" }]);
  } finally {
    controller.abort();
    await writer.close();
    await reader.close();
  }
});

test("SqliteStore.add() wakes other connections for delayed jobs too", async () => {
  const path = freshPath();
  const writer = new SqliteStore({ path });
  const reader = new SqliteStore({ path, pollInterval: 5 });
  const controller = new AbortController();
  try {
    const stream = reader.subscribe(controller.signal).getReader();
    await writer.add([{ ...newJob("later"), runAt: T0 + 1_000 }]);
    const woken = await withTimeout(stream.read(), PATIENCE, "the wake message");
    assert.deepEqual(woken.value, { type: "wake", task: "later" });
  } finally {
    controller.abort();
    await writer.close();
    await reader.close();
  }
});

test("SqliteStore.claim() leases delayed jobs once runAt is due, and reports the next one", async () => {
  const store = new SqliteStore({ path: freshPath() });
  try {
    const [soon, later] = await store.add([
      { ...newJob("later"), runAt: T0 + 100 },
      { ...newJob("later"), runAt: T0 + 200 },
    ]);
    assert.deepEqual(await store.claim(request("later")), { jobs: [], next: soon.runAt });
    const { jobs, next } = await store.claim(request("later", T0 + 150));
    assert.deepEqual(jobs.map((j) => j.id), [soon.id]);
    assert.equal(next, later.runAt);
  } finally {
    await store.close();
  }
});

test("SqliteStore.claim() leases more jobs than it binds ids for, in claim order across groups", async () => {
  const store = new SqliteStore({ path: freshPath() });
  try {
    // 150 ids exceed the bound-parameter list, so the update reads them as one JSON array.
    const low = await store.add(Array.from({ length: 100 }, (_, i) => newJob("low", T0 + i)));
    const high = await store.add(Array.from({ length: 60 }, (_, i) => newJob("high", T0 + i)));
    const { jobs } = await store.claim({
      ...request("high"),
      groups: [["high"], ["low"]],
      limit: 150,
    });
    assert.deepEqual(
      jobs.map((job) => job.id),
      [...high, ...low.slice(0, 90)].map((job) => job.id),
    );
    assert.ok(jobs.every((job) => job.status === "processing" && job.attempts === 1));
    assert.equal((await store.claim(request("high"))).jobs.length, 0);
  } finally {
    await store.close();
  }
});

test("SqliteStore.claim() claims tasks and tags whose names hold quotes or NUL", async () => {
  const store = new SqliteStore({ path: freshPath() });
  try {
    const names = ["it's", "a\0b", "'; DROP TABLE jobs; --"];
    const added = await store.add(names.map((task) => newJob(task)));
    const { jobs } = await store.claim({ ...request(names[0]), groups: [names], tags: ["o'k\0"] });
    // Ids, not task names: Deno's node:sqlite reads a text holding NUL only up to the NUL.
    assert.deepEqual(jobs.map((job) => job.id), added.map((job) => job.id));
    await store.pause({ tags: ["o'k\0"], tasks: [] });
    await store.add([newJob("a\0b")]);
    const held = await store.claim({ ...request("a\0b"), tags: ["o'k\0"] });
    assert.deepEqual(held.jobs, []);
  } finally {
    await store.close();
  }
});

test("SqliteStore() throws a StoreError naming sqlite when the file cannot be opened", () => {
  assert.throws(
    () => new SqliteStore({ path: join(dir, "missing", "dir", "x.db") }),
    (error: unknown) =>
      error instanceof StoreError && /^sqlite: Cannot open the database/.test(error.message),
  );
  const garbage = freshPath();
  writeFileSync(garbage, "not a database, just some text that is long enough ".repeat(100));
  assert.throws(() => new SqliteStore({ path: garbage }), StoreError);
});

test("SqliteStore() throws a TypeError when path is empty", () => {
  assert.throws(
    () => new SqliteStore({ path: "" }),
    new TypeError(
      'Cannot open a SQLite store as path must be a non-empty string: current value is ""',
    ),
  );
});

test("SqliteStore() refuses a file written by a newer schema", async () => {
  const path = freshPath();
  await new SqliteStore({ path }).close();
  const db = new DatabaseSync(path);
  db.exec("PRAGMA user_version = 99");
  db.close();
  assert.throws(
    () => new SqliteStore({ path }),
    (error: unknown) => error instanceof StoreError && /current value is 99/.test(error.message),
  );
});

test("SqliteStore.close() ends subscriptions and stops polling", async () => {
  const store = new SqliteStore({ path: freshPath() });
  const stream = store.subscribe(new AbortController().signal).getReader();
  await store.close();
  assert.deepEqual(await withTimeout(stream.read(), PATIENCE, "the end"), {
    done: true,
    value: undefined,
  });
  assert.throws(() => store.subscribe(new AbortController().signal), StoreError);
});

test("SqliteStore.claim() holds back a task whose rate allows 0 starts, with no time it reopens", async () => {
  const store = new SqliteStore({ path: freshPath() });
  try {
    const [held] = await store.add([newJob("never"), newJob("other")]);
    const { jobs, next } = await store.claim({
      ...request("never"),
      groups: [["never", "other"]],
      limits: { never: { rate: { max: 0, per: 1_000 } } },
    });
    assert.deepEqual(jobs.map((job) => job.task), ["other"]);
    assert.equal(next, undefined);
    assert.equal((await store.get(held.id))?.status, "queued");
  } finally {
    await store.close();
  }
});
