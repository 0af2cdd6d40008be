import assert from "node:assert/strict";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { test } from "node:test";
import { MongoClient } from "mongodb";
import { openStore } from "../src/open_store.ts";
import { JOB_STATUSES } from "../src/job.ts";
import { validateQuery } from "../src/query.ts";
import { type Settlement, StoreError } from "../src/store.ts";
import { MongoStore } from "../stores/mongo.ts";
import {
  checkDatabase,
  checkPrefix,
  checkUrl,
  databaseFromUrl,
  redact,
} from "../stores/mongo/_connection.ts";
import {
  MAX_DOCUMENT_DATA_DEPTH,
  MAX_LOG_DATA_DEPTH,
  nestsDeeper,
} from "../stores/mongo/_depth.ts";
import { MAX_RESULT_BYTES } from "../stores/mongo/_size.ts";
import {
  documentId,
  fromLogLine,
  type JobDocument,
  toDocument,
  toJob,
  toLogLine,
} from "../stores/mongo/_documents.ts";
import { findPipeline } from "../stores/mongo/_find.ts";
import { serverSort, translateQuery } from "../stores/mongo/_query.ts";
import { settleUpdate } from "../stores/mongo/_settle.ts";
import { spawnChild } from "./_cli_process.ts";
import { withTimeout } from "./_helpers.ts";

// Everything of the MongoDB store that runs without a server: the query and field mapping,
// documents and records, the update each outcome sends, option checks, and how an unreachable
// server fails. The verbs themselves run in mongo_store_test.ts (on the mongo-wire emulator
// unless KINETIK_MONGO_URL names a server).

const T0 = 1_700_000_000_000;

/** `levels` arrays, one inside the other. */
function nested(levels: number): unknown {
  let value: unknown = [];
  for (let i = 1; i < levels; i++) value = [value];
  return value;
}
const UNREACHABLE = "mongodb://127.0.0.1:1";

test("translateQuery() sends record fields, data paths and $or to the server unchanged", () => {
  const query = validateQuery({
    status: { $in: ["queued", "delayed"] },
    "data.user": 42,
    $or: [{ task: "a" }, { "data.plan.seats": { $gte: 2 } }],
    key: { $regex: "^k", $options: "i" },
  });
  assert.deepEqual(translateQuery(query), { filter: query, exact: true });
  assert.deepEqual(translateQuery({}), { filter: {}, exact: true });
});

test("translateQuery() maps id conditions onto numeric _ids", () => {
  assert.deepEqual(translateQuery({ id: "12" }), { filter: { _id: 12 }, exact: true });
  assert.deepEqual(translateQuery({ id: { $in: ["1", "2"], $ne: "3" } }), {
    filter: { _id: { $in: [1, 2], $ne: 3 } },
    exact: true,
  });
  // Ids this store never makes stay strings, which never equal a numeric _id.
  assert.deepEqual(translateQuery({ id: "012" }), { filter: { _id: "012" }, exact: true });
  assert.deepEqual(translateQuery({ id: { $exists: true } }), {
    filter: { _id: { $exists: true } },
    exact: true,
  });
});

test("translateQuery() leaves out what the server cannot answer and asks for a match in memory", () => {
  // Ordering and patterns on id compare strings in records but numbers in documents.
  assert.deepEqual(translateQuery({ id: { $gt: "9" }, task: "a" }), {
    filter: { task: "a" },
    exact: false,
  });
  assert.deepEqual(translateQuery({ id: /^1/ }), { filter: {}, exact: false });
  // Fields outside the record (the store's own included) are absent from every record.
  assert.deepEqual(translateQuery({ _token: { $exists: false }, status: "queued" }), {
    filter: { status: "queued" },
    exact: false,
  });
  assert.deepEqual(translateQuery({ logs: { $size: 1 } }), { filter: {}, exact: false });
  // A disjunction with one untranslatable branch cannot be narrowed, only dropped.
  assert.deepEqual(translateQuery({ $or: [{ task: "a" }, { _logs: [] }], priority: 1 }), {
    filter: { priority: 1 },
    exact: false,
  });
  assert.deepEqual(translateQuery({ $not: { task: "a" } }), { filter: {}, exact: false });
});

test("translateQuery() sends a query on result along with the results kept as JSON text", () => {
  assert.deepEqual(translateQuery({ "result.rows": { $gt: 1 }, task: "a" }), {
    filter: {
      $and: [{ $or: [{ "result.rows": { $gt: 1 } }, { _resultJson: { $exists: true } }] }],
      task: "a",
    },
    exact: false,
  });
  assert.deepEqual(translateQuery({ $or: [{ result: 1 }, { task: "a" }] }), {
    filter: {},
    exact: false,
  });
});

test("serverSort() orders like compareJobs, with missing values last", () => {
  assert.deepEqual(serverSort(undefined), { sort: { created: 1, _id: 1 } });
  assert.deepEqual(serverSort({ field: "id", direction: -1 }), { sort: { _id: -1 } });
  assert.deepEqual(serverSort({ field: "priority", direction: -1 }), {
    sort: { priority: -1, created: -1, _id: -1 },
  });
  assert.deepEqual(serverSort({ field: "task", direction: 1 }), {
    sort: { task: 1, created: 1, _id: 1 },
  });
  assert.deepEqual(serverSort({ field: "runAt", direction: 1 }), {
    sort: { _missing: 1, runAt: 1, created: 1, _id: 1 },
    computed: { _missing: { $cond: [{ $eq: [{ $type: "$runAt" }, "missing"] }, 1, 0] } },
  });
  assert.equal(serverSort({ field: "data", direction: 1 }), undefined);
  assert.equal(serverSort({ field: "progress", direction: 1 }), undefined);
});

test("serverSort() orders statuses by their place in JOB_STATUSES, not alphabetically", () => {
  assert.deepEqual(serverSort({ field: "status", direction: -1 }), {
    sort: { _rank: -1, created: -1, _id: -1 },
    computed: { _rank: { $indexOfArray: [{ $literal: JOB_STATUSES }, "$status"] } },
  });
});

test("findPipeline() computes the sort keys, pages, and drops the keys last", () => {
  const order = serverSort({ field: "runAt", direction: -1 })!;
  const pipeline = findPipeline({ task: "a" }, { sort: order.sort, computed: order.computed! }, {
    offset: 5,
    limit: 10,
  });
  assert.deepEqual(pipeline, [
    { $match: { task: "a" } },
    { $project: { _logs: 0 } },
    { $addFields: { _missing: { $cond: [{ $eq: [{ $type: "$runAt" }, "missing"] }, 1, 0] } } },
    { $sort: { _missing: 1, runAt: -1, created: -1, _id: -1 } },
    { $skip: 5 },
    { $limit: 10 },
    { $project: { _missing: 0 } },
  ]);
});

test("nestsDeeper() counts each array and object as one level, as MongoDB does", () => {
  assert.equal(nestsDeeper(1, 0), false);
  assert.equal(nestsDeeper({}, 0), true);
  assert.equal(nestsDeeper({ a: [1] }, 2), false);
  assert.equal(nestsDeeper({ a: [1] }, 1), true);
  assert.equal(nestsDeeper({ a: 1, b: [[{}]] }, 4), false);
  assert.equal(nestsDeeper({ a: 1, b: [[{}]] }, 3), true);
  assert.equal(nestsDeeper({ when: new Date(0) }, 1), false, "a Date is stored as a string");
  let deep: unknown = 0;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  assert.equal(nestsDeeper(deep, 99), true);
  assert.equal(nestsDeeper(deep, 100_000), false);
});

test("toLogLine() keeps data too deep for a document as JSON text, fromLogLine() reads it", () => {
  let deep: unknown = { leaf: 1 };
  for (let i = 1; i < MAX_LOG_DATA_DEPTH + 1; i++) deep = [deep];
  const stored = toLogLine({ time: T0, message: "deep", data: deep });
  assert.deepEqual(stored, { time: T0, message: "deep", _json: JSON.stringify(deep) });
  assert.deepEqual(fromLogLine(stored), { time: T0, message: "deep", data: deep });
  const fits = (deep as unknown[])[0];
  assert.deepEqual(toLogLine({ time: T0, message: "fits", data: fits }), {
    time: T0,
    message: "fits",
    data: fits,
  });
  const plain = { time: T0, message: "plain" };
  assert.deepEqual(fromLogLine(toLogLine(plain)), plain);
});

test("toDocument() stores a queued job ready at its creation, with its created log line", () => {
  const data = { user: 42, list: [1, { deep: true }] };
  const document = toDocument(7, {
    task: "email",
    data,
    created: T0,
    priority: 2,
    log: { time: T0, message: "Created", data: undefined },
  });
  assert.deepEqual(document, {
    _id: 7,
    task: "email",
    status: "queued",
    created: T0,
    priority: 2,
    attempts: 0,
    _readyAt: T0,
    _logs: [{ time: T0, message: "Created" }],
    data: { user: 42, list: [1, { deep: true }] },
  });
  data.list.push(3);
  assert.deepEqual(document.data, { user: 42, list: [1, { deep: true }] }, "data is a copy");
});

test("toDocument() marks a delayed keyed job ready at runAt and holding its key", () => {
  const document = toDocument(8, {
    task: "later",
    data: null,
    created: T0,
    runAt: T0 + 500,
    priority: 0,
    key: "k1",
    log: { time: T0, message: "Created", data: { by: "test" } },
  });
  assert.equal(document.status, "delayed");
  assert.equal(document._readyAt, T0 + 500);
  assert.equal(document.key, "k1");
  assert.equal(document._activeKey, "k1");
  assert.equal(document.data, null);
  assert.deepEqual(document._logs, [{ time: T0, message: "Created", data: { by: "test" } }]);
  const noData = toDocument(9, {
    task: "x",
    data: undefined,
    created: T0,
    priority: 0,
    log: {
      time: T0,
      message: "Created",
    },
  });
  assert.equal("data" in noData, false);
});

test("toDocument() stores a job's own retry, timeout, maxAttempts and trace, as copies", () => {
  const retry = { delay: 10, max: 2, backoff: "exponential" as const };
  const trace = { traceparent: "00-1-2-01" };
  const document = toDocument(3, {
    task: "own",
    data: null,
    created: T0,
    priority: 0,
    log: { time: T0, message: "Created" },
    retry,
    timeout: 500,
    maxAttempts: 3,
    trace,
  });
  assert.deepEqual(
    [document.retry, document.timeout, document.maxAttempts, document._ownMaxAttempts],
    [retry, 500, 3, 3],
  );
  assert.deepEqual(document.trace, trace);
  assert.notEqual(document.retry, retry, "a copy");
  assert.deepEqual(toJob(document).retry, retry);
  assert.equal("_ownMaxAttempts" in toJob(document), false, "a store field, not a record's");
});

test("toJob() gives the record fields only, the id as a string, and keeps null data", () => {
  const document: JobDocument = {
    _id: 42,
    task: "send",
    data: null,
    status: "processing",
    created: T0,
    priority: 0,
    attempts: 1,
    started: T0 + 1,
    worker: "w",
    leaseUntil: T0 + 30_001,
    maxAttempts: 3,
    _token: "secret",
    _readyAt: T0,
    _activeKey: "k",
    key: "k",
    _logs: [{ time: T0, message: "Created" }],
  };
  const job = toJob(document);
  assert.deepEqual(job, {
    id: "42",
    task: "send",
    data: null,
    status: "processing",
    created: T0,
    attempts: 1,
    priority: 0,
    key: "k",
    started: T0 + 1,
    worker: "w",
    leaseUntil: T0 + 30_001,
    maxAttempts: 3,
  });
  assert.deepEqual(Object.keys(toJob({ ...document, data: undefined })).includes("data"), false);
});

test("documentId() accepts the ids the store makes and nothing else", () => {
  assert.equal(documentId("1"), 1);
  assert.equal(documentId("9007199254740991"), 9007199254740991);
  for (const id of ["0", "01", "-1", "1.5", "abc", "", "1e3", "12345678901234567"]) {
    assert.equal(documentId(id), undefined, id);
  }
});

const settlement = (fields: Partial<Settlement>): Settlement => ({
  id: "1",
  token: "t",
  outcome: "completed",
  now: T0,
  logs: [],
  ...fields,
});
const UNLEASE = { worker: "", leaseUntil: "", _token: "" };

test("settleUpdate() completes with finished, clears error and key, pushes the log lines", () => {
  assert.deepEqual(
    settleUpdate(settlement({
      progress: { current: 1, total: 1 },
      logs: [{ time: T0, message: "done", data: { n: 1 } }, { time: T0, message: "plain" }],
    })),
    {
      $set: { status: "completed", finished: T0, progress: { current: 1, total: 1 } },
      $unset: { ...UNLEASE, error: "", _activeKey: "", result: "", _resultJson: "" },
      $push: {
        _logs: {
          $each: [{ time: T0, message: "done", data: { n: 1 } }, { time: T0, message: "plain" }],
        },
      },
    },
  );
});

test("settleUpdate() stores a result as a document, as JSON text when too deep, or not when too large", () => {
  assert.deepEqual(settleUpdate(settlement({ result: { rows: [1] } })).$set, {
    status: "completed",
    finished: T0,
    result: { rows: [1] },
  });
  assert.equal(settleUpdate(settlement({ result: { rows: [1] } })).$unset._resultJson, "");
  const deep = nested(MAX_DOCUMENT_DATA_DEPTH + 1);
  const update = settleUpdate(settlement({ result: deep }));
  assert.equal(update.$set._resultJson, JSON.stringify(deep));
  assert.equal(update.$unset.result, "");
  assert.deepEqual(toJob({ _id: 1, _resultJson: JSON.stringify(deep) }).result, deep);
  const huge = settleUpdate(settlement({ result: "x".repeat(MAX_RESULT_BYTES) }));
  assert.equal("result" in huge.$set, false);
  assert.deepEqual(huge.$unset, {
    ...UNLEASE,
    error: "",
    _activeKey: "",
    result: "",
    _resultJson: "",
  });
  assert.match(
    (huge.$push._logs as { $each: { message: string }[] }).$each[0].message,
    /^Result not stored: MongoDB keeps a job's result at most 4194304 bytes/,
  );
});

test("settleUpdate() fails and times out with the error, or the outcome as message", () => {
  assert.deepEqual(settleUpdate(settlement({ outcome: "failed", error: { message: "boom" } })), {
    $set: { status: "failed", finished: T0, error: { message: "boom" } },
    $unset: { ...UNLEASE, _activeKey: "" },
  });
  assert.deepEqual(settleUpdate(settlement({ outcome: "timeout" })).$set, {
    status: "timeout",
    finished: T0,
    error: { message: "timeout" },
  });
});

test("settleUpdate() retries as delayed at runAt and releases with one attempt given back", () => {
  assert.deepEqual(
    settleUpdate(settlement({ outcome: "retry", runAt: T0 + 5, error: { message: "again" } })),
    {
      $set: { status: "delayed", runAt: T0 + 5, _readyAt: T0 + 5, error: { message: "again" } },
      $unset: UNLEASE,
    },
  );
  assert.deepEqual(settleUpdate(settlement({ outcome: "retry", runAt: T0 + 5 })).$unset, {
    ...UNLEASE,
    error: "",
  });
  assert.deepEqual(settleUpdate(settlement({ outcome: "release" })), {
    $set: { status: "queued" },
    $unset: UNLEASE,
    $inc: { attempts: -1 },
  });
  assert.throws(
    () => settleUpdate(settlement({ outcome: "lost" as Settlement["outcome"] })),
    new TypeError('Cannot settle a job as the outcome is unknown: current value is "lost"'),
  );
});

test("databaseFromUrl() reads the path of plain URLs and seed lists", () => {
  assert.equal(databaseFromUrl("mongodb://localhost"), undefined);
  assert.equal(databaseFromUrl("mongodb://localhost/"), undefined);
  assert.equal(databaseFromUrl("mongodb://localhost/?replicaSet=rs"), undefined);
  assert.equal(databaseFromUrl("mongodb://u:p@h1:27017,h2:27018/jobs?replicaSet=rs"), "jobs");
  assert.equal(databaseFromUrl("mongodb+srv://cluster.example.net/my%20db"), "my db");
});

test("checkUrl(), checkDatabase() and checkPrefix() refuse unusable values with TypeErrors", () => {
  assert.equal(checkUrl("mongodb+srv://c.example.net"), "mongodb+srv://c.example.net");
  assert.throws(
    () => checkUrl("redis://localhost"),
    new TypeError(
      "Cannot open the MongoDB store as the URL must start with mongodb:// or mongodb+srv:// and name a host: current value is redis://localhost",
    ),
  );
  assert.throws(() => checkUrl("mongodb:///db"), /name a host/);
  assert.throws(() => checkUrl(42), /current value is 42/);
  assert.equal(checkDatabase("jobs_1"), "jobs_1");
  for (const name of ["", "a.b", "a/b", "a b", "$x", "x".repeat(64)]) {
    assert.throws(() => checkDatabase(name), TypeError, name);
  }
  assert.equal(checkPrefix(""), "");
  assert.equal(checkPrefix("mail.v2-"), "mail.v2-");
  assert.throws(() => checkPrefix("a$b"), /prefix must be/);
  assert.throws(() => checkPrefix("system.x"), /prefix must be/);
});

test("redact() hides the password of a URL", () => {
  assert.equal(redact("mongodb://kin:s3cret@db:27017/x"), "mongodb://kin:****@db:27017/x");
  assert.equal(redact("mongodb+srv://kin:p%40ss@c.net"), "mongodb+srv://kin:****@c.net");
  assert.equal(redact("mongodb://db:27017"), "mongodb://db:27017");
});

test("MongoStore() picks the database from the options, the URL, else kinetik", async () => {
  const stores = [
    new MongoStore({ url: UNREACHABLE }),
    new MongoStore({ url: `${UNREACHABLE}/jobs` }),
    new MongoStore({ url: `${UNREACHABLE}/jobs`, database: "other", prefix: "mail_" }),
  ];
  assert.deepEqual(stores.map((s) => [s.database, s.prefix]), [
    ["kinetik", "kinetik_"],
    ["jobs", "kinetik_"],
    ["other", "mail_"],
  ]);
  const client = new MongoClient(`${UNREACHABLE}/fromclient`);
  const withClient = new MongoStore({ client });
  assert.equal(withClient.database, "fromclient");
  for (const store of [...stores, withClient]) await store.close();
  await client.close();
});

test("MongoStore() throws TypeError and RangeError for bad options, before connecting", () => {
  assert.throws(
    () => new MongoStore({}),
    new TypeError(
      "Cannot open the MongoDB store as it needs a url or a MongoClient: current value is neither",
    ),
  );
  assert.throws(
    () => new MongoStore({ client: {} as MongoClient }),
    /a client that is not a MongoClient/,
  );
  assert.throws(() => new MongoStore({ url: "http://localhost" }), /must start with mongodb:\/\//);
  assert.throws(
    () => new MongoStore({ url: "mongodb://u:secret@localhost/?notAnOption=1&w=nope" }),
    (error: unknown) =>
      error instanceof TypeError && /URL is malformed/.test(error.message) &&
      !error.message.includes("secret"),
  );
  assert.throws(() => new MongoStore({ url: UNREACHABLE, database: "a.b" }), TypeError);
  assert.throws(
    () => new MongoStore({ url: UNREACHABLE, pollInterval: 0 }),
    new RangeError(
      "Cannot open the MongoDB store as pollInterval must be a positive integer: current value is 0",
    ),
  );
  assert.throws(() => new MongoStore({ url: UNREACHABLE, eventMaxRows: 1.5 }), RangeError);
});

test("openStore() opens a MongoStore for mongodb:// URLs without connecting", async () => {
  const store = await openStore(`${UNREACHABLE}/queue?serverSelectionTimeoutMS=200`);
  assert.ok(store instanceof MongoStore);
  assert.equal(store.name, "mongo");
  assert.equal(store.database, "queue");
  await store.close();
});

test("MongoStore rejects with a StoreError naming mongo when no server answers", async () => {
  const store = new MongoStore({
    url: "mongodb://kin:s3cret@127.0.0.1:1/db",
    serverSelectionTimeoutMS: 300,
  });
  try {
    const rejected = assert.rejects(store.add([]), (error: unknown) => {
      assert.ok(error instanceof StoreError);
      assert.match(
        error.message,
        /^mongo: Cannot connect to MongoDB at mongodb:\/\/kin:\*\*\*\*@127\.0\.0\.1:1\/db: /,
      );
      assert.ok(!error.message.includes("s3cret"), "the password is never shown");
      return true;
    });
    await withTimeout(rejected, 3_000, "add() to reject, not hang");
    // A failed connection is forgotten: the next verb tries again, and fails the same way.
    await assert.rejects(store.get("1"), /^StoreError: mongo: Cannot connect/);
  } finally {
    await store.close();
  }
  await assert.rejects(
    store.count({}),
    new StoreError("mongo", "Cannot count jobs as the store is closed: current value is closed"),
  );
  assert.throws(() => store.subscribe(new AbortController().signal), /^StoreError: mongo: /);
  await store.close();
});

test("MongoStore.close() ends a subscription", async () => {
  const store = new MongoStore({ url: UNREACHABLE, serverSelectionTimeoutMS: 300 });
  const reader = store.subscribe(new AbortController().signal).getReader();
  await store.close();
  assert.deepEqual(await reader.read(), { done: true, value: undefined });
  const aborted = new AbortController();
  aborted.abort();
  const other = new MongoStore({ url: UNREACHABLE });
  assert.deepEqual(await other.subscribe(aborted.signal).getReader().read(), {
    done: true,
    value: undefined,
  });
  await other.close();
});

test(
  "MongoStore.close() leaves no handle open after a failed connection",
  { timeout: 20_000 },
  async () => {
    const file = fileURLToPath(new URL("./fixtures/mongo_unreachable.ts", import.meta.url));
    const args = "Deno" in globalThis ? ["run", "-A", file] : [file];
    const child = spawnChild(process.execPath, args);
    const timer = setTimeout(() => child.child.kill("SIGKILL"), 15_000);
    try {
      assert.equal(await child.exited, 0, child.errors());
    } finally {
      clearTimeout(timer);
    }
    assert.deepEqual(child.output().trim().split("\n"), [
      "count rejected: StoreError: mongo: Cannot connect to MongoDB at mongodb://127.0.0.1:1: " +
      child.output().split("mongodb://127.0.0.1:1: ")[1]?.split("\n")[0],
      "subscription failed: StoreError",
      "closed",
      "closed while connecting: StoreError, fast: true",
    ]);
  },
);
