import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import { kinetik } from "../mod.ts";
import { MAX_DATA_DEPTH } from "../src/json_data.ts";
import type { NewJob } from "../src/store.ts";
import { MongoStore } from "../stores/mongo.ts";
import { MAX_DOCUMENT_DATA_DEPTH, MAX_LOG_DATA_DEPTH } from "../stores/mongo/_depth.ts";
import { MAX_DATA_BYTES, MAX_RESULT_BYTES } from "../stores/mongo/_size.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { mongoServer } from "./_mongo_server.ts";
import { unavailable } from "./_unavailable.ts";

// The conformance suite against the server mongoServer() gives: the mongo-wire emulator
// (not MongoDB) unless KINETIK_MONGO_URL names a server. Every run uses a fresh database,
// dropped at the end; every case a fresh collection prefix in it.
const server = await mongoServer();
const skip = unavailable(
  "the MongoDB store tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;

const database = `kinetik_test_${Date.now().toString(36)}_${
  Math.random().toString(36).slice(2, 6)
}`;
let prefixes = 0;

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

const open = (prefix = `t${++prefixes}_`) => new MongoStore({ url: url!, database, prefix });

testStore(test, {
  name: "mongo",
  open: () => open(),
  openPeer: (store) => open((store as MongoStore).prefix),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {
    "get: returns data nested 1000 levels deep (the core's limit) as added, as do find, claim and settle":
      "MongoDB keeps documents at most 100 levels deep, so job data at most 99 (tested below)",
  },
});

test("MongoStore.subscribe() hears a message another store publishes right after it returns", {
  skip,
}, async () => {
  const prefix = `t${++prefixes}_`;
  const publisher = new MongoStore({ url, database, prefix });
  await publisher.count({}); // connected, so its publish is quick
  // The subscriber has not connected yet: its first poll comes long after the publish.
  const subscriber = new MongoStore({ url, database, prefix });
  const controller = new AbortController();
  const reader = subscriber.subscribe(controller.signal).getReader();
  try {
    await publisher.publish({ type: "cancel", id: "right after" });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error("no message within 5 s")), 5_000);
    });
    const { value } = await Promise.race([reader.read(), timeout]).finally(() =>
      clearTimeout(timer)
    );
    assert.deepEqual(value, { type: "cancel", id: "right after" });
  } finally {
    controller.abort();
    await subscriber.close();
    await publisher.close();
  }
});

const T0 = 1_700_000_000_000;

/** `levels` objects and arrays in turn, one inside the other. */
function nested(levels: number): unknown {
  let value: unknown = { leaf: true };
  for (let i = 1; i < levels; i++) value = i % 2 ? [value] : { inner: value };
  return value;
}

function newJob(task: string, data: unknown): NewJob {
  return { task, data, created: T0, priority: 0, log: { time: T0, message: "Created" } };
}

test(
  "MongoStore keeps job data nested 99 levels deep, as a MongoDB document may",
  { skip },
  async () => {
    const store = open();
    try {
      const data = nested(MAX_DOCUMENT_DATA_DEPTH);
      const [job] = await store.add([newJob("deep", data)]);
      assert.deepEqual((await store.get(job.id))?.data, data);
      assert.deepEqual(
        (await store.find({ "data.inner.0.inner": { $exists: true } }, { offset: 0, limit: 1 }))[0]
          ?.id,
        job.id,
      );
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore refuses job data nested deeper than 99 levels with a RangeError and saves nothing",
  { skip },
  async () => {
    const store = open();
    try {
      await assert.rejects(store.add([newJob("ok", 1), newJob("deep", nested(100))]), {
        name: "RangeError",
        message: 'Cannot add job for "deep" as MongoDB keeps job data nested at most 99 levels ' +
          "deep (documents at most 100): current value is nested deeper",
      });
      assert.equal(await store.count({}), 0, "no job of the batch was saved");
      const queue = kinetik(open());
      try {
        await assert.rejects(queue.create("deep", nested(MAX_DATA_DEPTH)), RangeError);
        assert.equal(await queue.count(), 0);
      } finally {
        await queue.close();
      }
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore keeps log data nested 1000 levels deep as JSON text and reads it back",
  { skip },
  async () => {
    const prefix = `t${++prefixes}_`;
    const store = open(prefix);
    const client = new MongoClient(url!, { serverSelectionTimeoutMS: 5_000 });
    try {
      const data = nested(MAX_DATA_DEPTH);
      const shallow = nested(MAX_LOG_DATA_DEPTH);
      const [job] = await store.add([newJob("deep", null)]);
      await store.appendLogs(job.id, [
        { time: T0 + 1, message: "deep", data },
        { time: T0 + 2, message: "shallow", data: shallow },
      ]);
      const lines = await store.logs(job.id);
      assert.equal(JSON.stringify(lines[1].data), JSON.stringify(data));
      assert.deepEqual(lines[2].data, shallow);
      const stored = await client.db(database).collection(`${prefix}jobs`).findOne({
        _id: Number(job.id) as never,
      });
      const [, deep, kept] = stored?._logs as Record<string, unknown>[];
      assert.equal(typeof deep._json, "string", "the deep line's data is JSON text");
      assert.equal("data" in deep, false);
      assert.deepEqual(kept.data, shallow, "data a document may hold stays a document");
    } finally {
      await client.close();
      await store.close();
    }
  },
);

/** Adds a job of `task`, claims it and completes it with `result`; resolves to the record. */
async function complete(store: MongoStore, task: string, result: unknown) {
  const [job] = await store.add([newJob(task, null)]);
  const { jobs: [leased] } = await store.claim({
    groups: [[task]],
    limit: 1,
    worker: "w",
    leaseMs: 1_000,
    now: T0,
  });
  assert.equal(leased?.id, job.id);
  const { jobs: [settled] } = await store.settle([
    { id: job.id, token: leased.token, outcome: "completed", now: T0 + 1, logs: [], result },
  ]);
  return settled;
}

test(
  "MongoStore keeps a result nested 1000 levels deep as JSON text, and finds it by its fields",
  { skip },
  async () => {
    const prefix = `t${++prefixes}_`;
    const store = open(prefix);
    const client = new MongoClient(url!, { serverSelectionTimeoutMS: 5_000 });
    try {
      const deep = { kind: "deep", tree: nested(MAX_DATA_DEPTH - 1) };
      const settled = await complete(store, "deep", deep);
      const shallow = await complete(store, "shallow", { kind: "shallow" });
      assert.equal(JSON.stringify(settled?.result), JSON.stringify(deep), "settle returns it");
      const stored = await store.get(settled!.id);
      assert.equal(JSON.stringify(stored?.result), JSON.stringify(deep), "get returns it");
      const document = await client.db(database).collection(`${prefix}jobs`).findOne({
        _id: Number(settled!.id) as never,
      });
      assert.equal(typeof document?._resultJson, "string", "the deep result is JSON text");
      assert.equal("result" in document!, false);
      const found = await store.find({ "result.kind": "deep" }, { offset: 0, limit: 10 });
      assert.deepEqual(found.map((job) => job.id), [settled!.id], "a query looks inside it");
      assert.deepEqual(
        (await store.find({ "result.kind": "shallow" }, { offset: 0, limit: 10 })).map((j) => j.id),
        [shallow!.id],
      );
      assert.equal(await store.count({ result: { $exists: true } }), 2);
    } finally {
      await client.close();
      await store.close();
    }
  },
);

test(
  "MongoStore completes a job whose result is larger than 4 MiB without it, and logs why",
  { skip },
  async () => {
    const store = open();
    try {
      const huge = { text: "x".repeat(MAX_RESULT_BYTES) };
      const settled = await complete(store, "huge", huge);
      assert.equal(settled?.status, "completed", "the outcome is kept");
      assert.equal(settled?.result, undefined, "the result is not");
      assert.equal((await store.get(settled!.id))?.result, undefined);
      const last = (await store.logs(settled!.id)).at(-1);
      assert.equal(
        last?.message,
        `Result not stored: MongoDB keeps a job's result at most ${MAX_RESULT_BYTES} bytes of ` +
          `BSON, and this one has ${MAX_RESULT_BYTES + 16}`,
      );
      const fits = await complete(store, "fits", "y".repeat(MAX_RESULT_BYTES - 5));
      assert.equal((await store.get(fits!.id))?.result, "y".repeat(MAX_RESULT_BYTES - 5));
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore refuses job data larger than 8 MiB with a RangeError and saves nothing",
  { skip },
  async () => {
    const store = open();
    try {
      const data = { text: "x".repeat(MAX_DATA_BYTES) };
      await assert.rejects(store.add([newJob("ok", 1), newJob("big", data)]), {
        name: "RangeError",
        message: 'Cannot add job for "big" as MongoDB keeps job data at most 8388608 bytes of ' +
          "BSON (documents at most 16 MiB): current value is 8388624 bytes",
      });
      assert.equal(await store.count({}), 0, "no job of the batch was saved");
      const [next] = await store.add([newJob("ok", 1)]);
      assert.equal(next.id, "1", "the refused batch took no ids");
    } finally {
      await store.close();
    }
  },
);

test("MongoStore creates the sweep index on finished jobs when it opens", { skip }, async () => {
  const prefix = `t${++prefixes}_`;
  const store = open(prefix);
  const client = new MongoClient(url!, { serverSelectionTimeoutMS: 5_000 });
  try {
    await store.count({});
    const indexes = await client.db(database).collection(`${prefix}jobs`).listIndexes()
      .toArray();
    const finished = indexes.find((index) => index.name === "finished");
    assert.deepEqual(finished?.key, { status: 1, finished: 1, _id: 1 });
    assert.deepEqual(finished?.partialFilterExpression, { finished: { $exists: true } });
  } finally {
    await client.close();
    await store.close();
  }
});
