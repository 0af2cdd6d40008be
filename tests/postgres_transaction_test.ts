import assert from "node:assert/strict";
import { after, test } from "node:test";
import postgres from "postgres";
import { kinetik } from "../mod.ts";
import type { Job } from "../src/job.ts";
import type { NewJob, StoreMessage } from "../src/store.ts";
import { MemoryStore } from "../stores/memory.ts";
import { PostgresStore } from "../stores/postgres.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { deferred } from "./_helpers.ts";
import { unavailable } from "./_unavailable.ts";
import { postgresServer } from "./_postgres_server.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL transaction tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const sql = skip ? undefined : postgres(url, { max: 6, onnotice: () => {} });
after(async () => {
  await sql?.end();
  if (typeof server !== "string") await server.dispose();
});

let schemas = 0;
const T0 = 1_700_000_000_000;
const newJob = (task: string, fields: Partial<NewJob> = {}): NewJob => ({
  task,
  data: null,
  created: T0,
  priority: 0,
  log: { time: T0, message: "Created" },
  ...fields,
});

/** A store on the shared client, in a fresh schema, made ready. */
async function freshStore(): Promise<PostgresStore> {
  const store = new PostgresStore({ sql: sql!, schema: `tx${++schemas}` });
  await store.ready();
  return store;
}

/** Reads until a message matches, failing after `ms`. */
async function expectMessage(
  reader: ReadableStreamDefaultReader<StoreMessage>,
  matches: (message: StoreMessage) => boolean,
  what: string,
  seen: StoreMessage[] = [],
  ms = 5_000,
): Promise<StoreMessage> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms);
  });
  try {
    for (;;) {
      const { done, value } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`the subscription ended before ${what}`);
      seen.push(value);
      if (matches(value)) return value;
    }
  } finally {
    clearTimeout(timer);
  }
}

test("queue.create() with a rolled-back tx leaves no job behind", { skip }, async () => {
  const store = await freshStore();
  const queue = kinetik(store);
  try {
    let created: Job | undefined;
    await assert.rejects(
      sql!.begin(async (tx) => {
        created = await queue.create("report", { n: 1 }, { tx });
        assert.equal(created.status, "queued");
        const inside = await tx.unsafe(`SELECT count(*)::int AS n FROM "${store.schema}".jobs`);
        assert.equal(inside[0].n, 1, "the job exists inside the transaction");
        throw new Error("roll back");
      }),
      /roll back/,
    );
    assert.ok(created);
    assert.equal(await store.get(created.id), undefined);
    assert.equal(await store.count({}), 0);
    const { jobs } = await store.claim({
      groups: [["report"]],
      limit: 10,
      worker: "w",
      leaseMs: 1_000,
      now: Date.now(),
    });
    assert.deepEqual(jobs, []);
  } finally {
    await queue.close();
  }
});

test(
  "queue.create() with a tx makes the job claimable exactly when it commits",
  { skip },
  async () => {
    const store = await freshStore();
    const queue = kinetik(store);
    const claim = () =>
      store.claim({
        groups: [["report"]],
        limit: 10,
        worker: "w",
        leaseMs: 1_000,
        now: Date.now(),
      });
    try {
      const committed = await sql!.begin(async (tx) => {
        const [job] = await queue.createMany([{ task: "report", data: { n: 2 } }], { tx });
        assert.equal(await store.get(job.id), undefined, "invisible outside before commit");
        assert.deepEqual((await claim()).jobs, [], "not claimable before commit");
        return job;
      });
      assert.equal((await store.get(committed.id))?.status, "queued");
      const { jobs } = await claim();
      assert.deepEqual(jobs.map((job) => job.id), [committed.id]);
      assert.deepEqual(jobs[0].data, { n: 2 });
    } finally {
      await queue.close();
    }
  },
);

test(
  "a processor never runs a job created in a transaction before the commit",
  { skip },
  async () => {
    const store = await freshStore();
    const queue = kinetik(store, { interval: "1m" });
    const started: string[] = [];
    const done = new Map<string, ReturnType<typeof deferred<void>>>();
    const finished = (id: string) => {
      if (!done.has(id)) done.set(id, deferred());
      return done.get(id)!;
    };
    queue.define("report").action((job) => {
      started.push(job.id);
      finished(job.id).resolve();
    });
    const processor = queue.process("default", { concurrency: 5 });
    try {
      let inTx: Job | undefined;
      await sql!.begin(async (tx) => {
        inTx = await queue.create("report", { in: "tx" }, { tx });
        // A job created outside wakes the processor, which claims while the transaction is open:
        // it takes that job and cannot see the other.
        const outside = await queue.create("report", { in: "autocommit" });
        await finished(outside.id).promise;
        assert.deepEqual(started, [outside.id]);
      });
      // The commit's NOTIFY wakes the idle processor (its interval is a minute).
      await finished(inTx!.id).promise;
      assert.deepEqual(started.slice(1), [inTx!.id]);
    } finally {
      await processor.stop();
      await queue.close();
    }
  },
);

test("PostgresStore.add() with a tx sends its wake-up only at commit", { skip }, async () => {
  const store = await freshStore();
  const controller = new AbortController();
  const reader = store.subscribe(controller.signal).getReader();
  try {
    const seen: StoreMessage[] = [];
    await sql!.begin(async (tx) => {
      await store.add([newJob("mail")], { tx });
      // NOTIFYs arrive in commit order: a probe sent now arrives first, with no wake before it.
      await store.publish({ type: "event", origin: "probe", event: "probe" });
      await expectMessage(reader, (m) => m.type === "event" && m.event === "probe", "probe", seen);
      assert.ok(!seen.some((m) => m.type === "wake"), "no wake-up before commit");
    });
    await expectMessage(reader, (m) => m.type === "wake" && m.task === "mail", "wake", seen);
  } finally {
    controller.abort();
    await store.close();
  }
});

test("PostgresStore.add() waits for a key held in an open transaction, then returns its job", {
  skip,
}, async () => {
  const store = await freshStore();
  try {
    for (const outcome of ["commit", "rollback"] as const) {
      const key = `k-${outcome}`;
      const opened = deferred();
      const release = deferred();
      let held: Job | undefined;
      const transaction = sql!.begin(async (tx) => {
        [held] = await store.add([newJob("keyed", { key, data: "first" })], { tx });
        opened.resolve();
        await release.promise;
        if (outcome === "rollback") throw new Error("roll back");
      }).catch((error) => assert.match(String(error), /roll back/));
      await opened.promise;
      const second = store.add([newJob("keyed", { key, data: "second" })]);
      release.resolve();
      await transaction;
      const [job] = await second;
      if (outcome === "commit") {
        assert.equal(job.id, held!.id, "the committed holder is returned");
        assert.equal(job.data, "first");
      } else {
        assert.notEqual(job.id, held!.id, "after a rollback the key is free");
        assert.equal(job.data, "second");
      }
    }
    assert.equal(await store.count({}), 2);
  } finally {
    await store.close();
  }
});

test("PostgresStore.add() rejects a tx that is not a postgres transaction", { skip }, async () => {
  const store = await freshStore();
  try {
    for (const tx of [{}, "tx", sql!]) {
      await assert.rejects(
        store.add([newJob("x")], { tx }),
        (error: unknown) =>
          error instanceof TypeError &&
          /^Cannot add jobs as tx must be a transaction of a postgres client/.test(error.message),
      );
    }
    assert.equal(await store.count({}), 0);
  } finally {
    await store.close();
  }
});

test("queue.create() rejects a tx with a TypeError on a store that cannot join one", async () => {
  for (const store of [new MemoryStore(), new SqliteStore({ path: ":memory:" })]) {
    const queue = kinetik(store);
    try {
      await assert.rejects(
        queue.create("report", {}, { tx: {} }),
        new TypeError(
          `Cannot create job as the ${store.name} store cannot join a transaction: current value of tx is an object`,
        ),
      );
      await assert.rejects(queue.createMany([{ task: "report" }], { tx: () => {} }), TypeError);
      assert.equal(await queue.count(), 0);
    } finally {
      await queue.close();
    }
  }
});

test("a store passed a client leaves it open on close()", { skip }, async () => {
  const store = await freshStore();
  await store.close();
  const [row] = await sql!`SELECT 1 AS one`;
  assert.equal(row.one, 1);
});
