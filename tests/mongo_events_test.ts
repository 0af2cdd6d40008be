import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import type { StoreMessage } from "../src/store.ts";
import { EventBus } from "../stores/mongo/_events.ts";
import { type Collections, collections } from "../stores/mongo/_schema.ts";
import { mongoServer } from "./_mongo_server.ts";
import { unavailable } from "./_unavailable.ts";

// The events collection's protocol, against the server mongoServer() gives (the mongo-wire
// emulator unless KINETIK_MONGO_URL names a server). Each test uses collections of its own.

const server = await mongoServer();
const skip = unavailable(
  "the MongoDB events tests",
  typeof server === "string" ? server : undefined,
);
const client = typeof server === "string" ? undefined : new MongoClient(server.url);
const database = `kinetik_events_${Date.now().toString(36)}`;
let prefixes = 0;
after(async () => {
  await client?.db(database).dropDatabase().catch(() => {});
  await client?.close();
  if (typeof server !== "string") await server.dispose();
});

/** Collections no other test uses. */
function fresh(): Collections {
  return collections(client!.db(database), `e${++prefixes}_`);
}

/** A bus on `found` polling every ms; `ready` holds back its first connection. */
function bus(
  found: Collections,
  options: { maxRows?: number; ready?: Promise<unknown> } = {},
): EventBus {
  const ready = options.ready ?? Promise.resolve();
  return new EventBus(() => ready.then(() => found), 1, options.maxRows ?? 10_000);
}

/** Inserts a message as another process would, at sequence number `_id`, stamped now. */
async function insert(found: Collections, _id: number, message: StoreMessage, time = Date.now()) {
  await found.events.insertOne({ _id, origin: "elsewhere", time, body: JSON.stringify(message) });
}

/** A read that timed out is kept, so the message it later gets goes to the next read. */
const pending = new WeakMap<object, Promise<StoreMessage | undefined>>();

async function read(reader: ReadableStreamDefaultReader<StoreMessage>, ms = 2_000) {
  let next = pending.get(reader);
  if (next === undefined) {
    next = reader.read().then((result) => (pending.delete(reader), result.value));
    pending.set(reader, next);
  }
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      next,
      new Promise<"timeout">((resolve) => timer = setTimeout(() => resolve("timeout"), ms)),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

test("subscribe() delivers a message another store publishes right after it returns", {
  skip,
}, async () => {
  const found = fresh();
  // The subscriber's first poll cannot run before the publish has finished: it waits for
  // `ready`, which opens only then. The starting point must not depend on that poll.
  let open!: () => void;
  const ready = new Promise<void>((resolve) => open = resolve);
  const [a, b] = [bus(found, { ready }), bus(found)];
  const reader = a.subscribe(new AbortController().signal).getReader();
  try {
    await b.publish([{ type: "wake", task: "right after" }]);
    open();
    assert.deepEqual(await read(reader), { type: "wake", task: "right after" });
    await b.publish([{ type: "wake", task: "later" }]);
    assert.deepEqual(await read(reader), { type: "wake", task: "later" });
  } finally {
    await a.close();
    await b.close();
  }
});

test("subscribe() delivers another store's messages by polling and its own ones directly, once", {
  skip,
}, async () => {
  const found = fresh();
  const [a, b] = [bus(found), bus(found)];
  const controller = new AbortController();
  const reader = a.subscribe(controller.signal).getReader();
  try {
    await b.publish([{ type: "wake", task: "x" }, { type: "cancel", id: "1" }]);
    assert.deepEqual(await read(reader), { type: "wake", task: "x" });
    assert.deepEqual(await read(reader), { type: "cancel", id: "1" });
    await a.publish([{ type: "wake", task: "own" }]);
    assert.deepEqual(await read(reader), { type: "wake", task: "own" });
    await b.publish([{ type: "wake", task: "after" }]);
    assert.deepEqual(
      await read(reader),
      { type: "wake", task: "after" },
      "its own message is not read back from the collection",
    );
  } finally {
    controller.abort();
    await a.close();
    await b.close();
  }
  assert.equal((await reader.read()).done, true);
});

test("subscribe() skips messages stamped before it, also one filling a gap late", {
  skip,
}, async () => {
  const found = fresh();
  const a = bus(found);
  const old = Date.now() - 60_000;
  await insert(found, 1, { type: "wake", task: "old" }, old);
  // Number 2 was taken before the subscription, and its writer inserts it only later.
  await found.counters.insertOne({ _id: "events", seq: 3 });
  const reader = a.subscribe(new AbortController().signal).getReader();
  try {
    await insert(found, 3, { type: "wake", task: "new" });
    await insert(found, 2, { type: "wake", task: "old, inserted late" }, old);
    assert.deepEqual(await read(reader), { type: "wake", task: "new" });
  } finally {
    await a.close();
  }
});

test("subscribe() holds messages behind a sequence gap until it fills", { skip }, async () => {
  const found = fresh();
  const a = bus(found);
  const reader = a.subscribe(new AbortController().signal).getReader();
  try {
    // Writer one took number 1, writer two took 2 and inserted first.
    await found.counters.insertOne({ _id: "events", seq: 2 });
    await insert(found, 2, { type: "wake", task: "second" });
    assert.equal(await read(reader, 30), "timeout", "2 waits for 1");
    await insert(found, 1, { type: "wake", task: "first" });
    assert.deepEqual(await read(reader), { type: "wake", task: "first" });
    assert.deepEqual(await read(reader), { type: "wake", task: "second" });
  } finally {
    await a.close();
  }
});

test("subscribe() skips a gap that never fills after a while", { skip }, async () => {
  const found = fresh();
  const a = bus(found);
  const reader = a.subscribe(new AbortController().signal).getReader();
  try {
    await found.counters.insertOne({ _id: "events", seq: 2 });
    await insert(found, 2, { type: "wake", task: "after a dead writer" });
    assert.deepEqual(await read(reader, 5_000), { type: "wake", task: "after a dead writer" });
  } finally {
    await a.close();
  }
});

test("publish() keeps the newest maxRows messages", { skip }, async () => {
  const found = fresh();
  const b = bus(found, { maxRows: 3 });
  try {
    await b.publish([{ type: "wake", task: "first" }]);
    await b.publish(Array.from({ length: 600 }, (_, i) => ({ type: "cancel", id: String(i) })));
    const kept = await found.events.find({}, { sort: { _id: 1 } }).toArray();
    assert.deepEqual(kept.map((doc) => doc._id), [599, 600, 601]);
  } finally {
    await b.close();
  }
});
