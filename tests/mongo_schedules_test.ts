import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import type { NewJob, ScheduleFire, ScheduleRecord } from "../src/store.ts";
import { MongoStore } from "../stores/mongo.ts";
import * as schedules from "../stores/mongo/_schedules.ts";
import { type Collections, collections } from "../stores/mongo/_schema.ts";
import { mongoServer } from "./_mongo_server.ts";
import { unavailable } from "./_unavailable.ts";

// A fire spans the schedule's document and its jobs' (stores/mongo/_schedules.ts): these tests
// stop it between its steps, as a crash would, and check that what comes after loses nothing
// and duplicates nothing. Against the mongo-wire emulator (not MongoDB) unless
// KINETIK_MONGO_URL names a server.

const server = await mongoServer();
const skip = unavailable(
  "the MongoDB schedule tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const database = `kinetik_schedules_${Date.now().toString(36)}`;
let client: MongoClient | undefined;
let prefixes = 0;

after(async () => {
  if (typeof server === "string") return;
  try {
    await client?.db(database).dropDatabase();
  } finally {
    await client?.close();
    await server.dispose();
  }
});

const T0 = 1_700_000_000_000;

const RECORD: ScheduleRecord = {
  id: "tick",
  task: "tick",
  every: 60_000,
  tz: "UTC",
  data: { report: "daily" },
  priority: 0,
  missed: "latest",
  next: T0 + 60_000,
  spec: "every 1m",
};

function firedJob(time: number, by = "first"): NewJob {
  return {
    task: "tick",
    data: { report: "daily", by },
    created: time + 5,
    priority: 0,
    key: `schedule:tick:${time}`,
    log: { time: time + 5, message: "Created by schedule tick" },
  };
}

function fireAt(time: number, by?: string): ScheduleFire {
  return {
    id: "tick",
    spec: RECORD.spec,
    expected: time,
    next: time + 60_000,
    jobs: [firedJob(time, by)],
  };
}

/** A store with its schedule saved, and the raw collections under it. */
async function setUp(): Promise<{ store: MongoStore; raw: Collections }> {
  client ??= new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  const prefix = `t${++prefixes}_`;
  const store = new MongoStore({ url, database, prefix });
  await store.schedule(RECORD);
  return { store, raw: collections(client.db(database), prefix) };
}

/** The collections with one method of one collection failing, as if the process died there. */
function crashingAt<K extends keyof Collections>(
  raw: Collections,
  name: K,
  method: string,
  when: (args: unknown[]) => boolean = () => true,
): Collections {
  const crashing = new Proxy(raw[name], {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (property !== method || typeof value !== "function") return value;
      return (...args: unknown[]) => {
        if (when(args)) return Promise.reject(new Error("the process died here"));
        return value.apply(target, args);
      };
    },
  });
  return { ...raw, [name]: crashing };
}

test(
  "MongoStore.schedules() saves the jobs of a fire whose process died after moving next",
  { skip },
  async () => {
    const { store, raw } = await setUp();
    try {
      const dying = crashingAt(raw, "jobs", "insertMany");
      await assert.rejects(schedules.fire(dying, fireAt(RECORD.next)), /the process died here/);
      assert.equal(await store.count({}), 0, "no job yet");
      assert.equal(
        await store.fire(fireAt(RECORD.next, "late contender")),
        undefined,
        "next moved: a contender that read the old next loses",
      );
      const [listed] = await store.schedules();
      assert.equal(listed.next, RECORD.next + 60_000);
      const jobs = await store.find({}, { offset: 0, limit: 10 });
      assert.deepEqual(jobs.map((job) => [job.key, job.data]), [
        [`schedule:tick:${RECORD.next}`, { report: "daily", by: "first" }],
      ], "the dead process's job, saved once");
      await store.schedules();
      assert.equal(await store.count({}), 1, "written out once");
      const document = await raw.schedules.findOne({ _id: "tick" });
      assert.deepEqual(document?._pending, [], "nothing left pending");
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore.schedules() adds nothing for a fire whose process died after saving its jobs",
  { skip },
  async () => {
    const { store, raw } = await setUp();
    try {
      const dying = crashingAt(
        raw,
        "schedules",
        "updateOne",
        ([, update]) => "$pull" in (update as Record<string, unknown>),
      );
      await assert.rejects(schedules.fire(dying, fireAt(RECORD.next)), /the process died here/);
      const [job] = await store.find({}, { offset: 0, limit: 10 });
      assert.equal(job?.key, `schedule:tick:${RECORD.next}`);
      // The job runs and finishes before anyone writes the fire out: its dedupe key is free
      // again, but the fire key is kept for good.
      const { jobs: [leased] } = await store.claim({
        groups: [["tick"]],
        limit: 1,
        worker: "w",
        leaseMs: 1_000,
        now: T0,
      });
      await store.settle([
        { id: leased.id, token: leased.token, outcome: "completed", now: T0 + 1, logs: [] },
      ]);
      await store.schedules();
      assert.equal(await store.count({}), 1, "no second job for the fire time");
      assert.deepEqual((await raw.schedules.findOne({ _id: "tick" }))?._pending, []);
      const next = await store.fire(fireAt(RECORD.next + 60_000));
      assert.equal(next?.length, 1, "the next fire time fires as usual");
      assert.equal(await store.count({}), 2);
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore.fire() refuses jobs too deep for a document before it moves next",
  { skip },
  async () => {
    const { store } = await setUp();
    try {
      let deep: unknown = 0;
      for (let i = 0; i < 100; i++) deep = [deep];
      const fire = fireAt(RECORD.next);
      fire.jobs[0].data = deep;
      await assert.rejects(store.fire(fire), RangeError);
      const [listed] = await store.schedules();
      assert.equal(listed.next, RECORD.next, "nothing was written");
      assert.equal(await store.count({}), 0);
      await assert.rejects(store.schedule({ ...RECORD, id: "deep", data: deep }), {
        name: "RangeError",
        message: 'Cannot save schedule "deep" as MongoDB keeps job data nested at most 99 ' +
          "levels deep: current value is nested deeper",
      });
    } finally {
      await store.close();
    }
  },
);

test("MongoStore creates the next-fire index on schedules when it opens", { skip }, async () => {
  const { store, raw } = await setUp();
  try {
    const indexes = await raw.schedules.listIndexes().toArray();
    assert.deepEqual(indexes.find((index) => index.name === "next")?.key, { next: 1 });
    const jobIndexes = await raw.jobs.listIndexes().toArray();
    const fireKey = jobIndexes.find((index) => index.name === "fire_key");
    assert.equal(fireKey?.unique, true);
  } finally {
    await store.close();
  }
});

test("MongoStore.fire() of no jobs (missed times skipped) only moves next", { skip }, async () => {
  const { store, raw } = await setUp();
  try {
    const skipped = { ...fireAt(RECORD.next), jobs: [] };
    assert.deepEqual(await store.fire(skipped), []);
    assert.equal(await store.fire(skipped), undefined, "once");
    const document = await raw.schedules.findOne({ _id: "tick" });
    assert.equal(document?.next, RECORD.next + 60_000);
    assert.equal(document?._pending, undefined, "nothing was left pending");
    assert.equal(await store.count({}), 0);
  } finally {
    await store.close();
  }
});
