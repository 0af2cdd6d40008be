import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import type { ClaimRequest, NewJob } from "../src/store.ts";
import { MongoStore } from "../stores/mongo.ts";
import { freeSlots, releaseStart, reserveStart } from "../stores/mongo/_control.ts";
import { type Collections, collections } from "../stores/mongo/_schema.ts";
import { mongoServer } from "./_mongo_server.ts";
import { unavailable } from "./_unavailable.ts";

// What claims pass through on the MongoDB store (stores/mongo/_control.ts): rate windows,
// concurrency slots, and what a process that dies between a reservation and its claim leaves.
// Against the mongo-wire emulator (not MongoDB) unless KINETIK_MONGO_URL names a server.

const server = await mongoServer();
const skip = unavailable(
  "the MongoDB control tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
const database = `kinetik_control_${Date.now().toString(36)}`;
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

function newJob(task: string, created = T0): NewJob {
  return { task, data: null, created, priority: 0, log: { time: created, message: "Created" } };
}

function request(task: string, fields: Partial<ClaimRequest> = {}): ClaimRequest {
  return { groups: [[task]], limit: 10, worker: "w", leaseMs: 30_000, now: T0, ...fields };
}

async function setUp(): Promise<{ store: MongoStore; raw: Collections }> {
  client ??= new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  const prefix = `t${++prefixes}_`;
  const store = new MongoStore({ url, database, prefix });
  await store.count({}); // connected: the indexes exist
  return { store, raw: collections(client.db(database), prefix) };
}

test(
  "reserveStart() keeps at most max starts in the window and says when it reopens",
  { skip },
  async () => {
    const { store, raw } = await setUp();
    try {
      const rate = { max: 2, per: 1_000 };
      const first = await reserveStart(raw, "api", rate, T0);
      const second = await reserveStart(raw, "api", rate, T0 + 400);
      assert.ok("token" in first && "token" in second);
      assert.deepEqual(await reserveStart(raw, "api", rate, T0 + 999), { reopens: T0 + 1_000 });
      await releaseStart(raw, "api", first.token);
      const again = await reserveStart(raw, "api", rate, T0 + 999);
      assert.ok("token" in again, "a start given back frees its place");
      assert.deepEqual(await reserveStart(raw, "api", rate, T0 + 1_000), { reopens: T0 + 1_400 });
      assert.ok("token" in await reserveStart(raw, "api", rate, T0 + 1_400), "the window slid");
      const kept = async () => (await raw.control.find({ _id: "rate:api" }).toArray())[0].starts;
      assert.equal((await kept())?.length, 3, "starts of the last two windows are kept");
      assert.ok("token" in await reserveStart(raw, "api", rate, T0 + 3_000));
      assert.deepEqual(
        (await kept())?.map((start) => start.at),
        [T0 + 1_400, T0 + 3_000],
        "starts older than two windows are dropped",
      );
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore.claim() counts a start a dead process reserved until it leaves the window",
  { skip },
  async () => {
    const { store, raw } = await setUp();
    try {
      await store.add([newJob("api"), newJob("api", T0 + 1)]);
      const limits = { api: { rate: { max: 1, per: 1_000 } } };
      // Reserved, then the process died before it claimed: the start counts, no job ran.
      assert.ok("token" in await reserveStart(raw, "api", limits.api.rate, T0));
      const held = await store.claim(request("api", { limits, now: T0 + 10 }));
      assert.deepEqual(held.jobs, [], "stricter for a while, never looser");
      assert.equal(held.next, T0 + 1_000);
      const reopened = await store.claim(request("api", { limits, now: T0 + 1_000 }));
      assert.equal(reopened.jobs.length, 1);
      assert.equal(await store.count({ status: "queued" }), 1);
    } finally {
      await store.close();
    }
  },
);

test(
  "MongoStore.claim() gives a concurrency slot per running job and frees it when the job ends",
  { skip },
  async () => {
    const { store, raw } = await setUp();
    try {
      await store.add([newJob("render"), newJob("render", T0 + 1), newJob("render", T0 + 2)]);
      const limits = { render: { concurrency: 2 } };
      const { jobs } = await store.claim(request("render", { limits }));
      assert.equal(jobs.length, 2);
      const held = await raw.jobs.find({ status: "processing" }).toArray();
      assert.deepEqual(held.map((job) => job._slot).sort(), [0, 1]);
      assert.deepEqual(await freeSlots(raw, "render", 2), []);
      assert.deepEqual(await freeSlots(raw, "render", 3), [2]);
      await store.settle([
        { id: jobs[0].id, token: jobs[0].token, outcome: "release", now: T0 + 5, logs: [] },
      ]);
      assert.equal((await freeSlots(raw, "render", 2)).length, 1, "a released job frees it");
      // Claimed again without limits, the job holds no slot.
      const { jobs: [plain] } = await store.claim(request("render", { now: T0 + 6, limit: 1 }));
      const document = await raw.jobs.findOne({ _id: Number(plain.id) });
      assert.equal(document?._slot, undefined);
      // Two processing jobs cannot hold one slot, whoever writes them.
      const other = held.find((job) => job._id !== Number(jobs[0].id))!;
      await assert.rejects(
        raw.jobs.updateOne({ _id: Number(plain.id) }, { $set: { _slot: other._slot } }),
        { code: 11000 },
      );
    } finally {
      await store.close();
    }
  },
);
