import assert from "node:assert/strict";
import { test } from "node:test";
import type { StoreMessage } from "../src/store.ts";
import { EventBus } from "../stores/mongo/_events.ts";
import type { Collections, EventDocument } from "../stores/mongo/_schema.ts";

// The events collection's protocol, against an in-memory stand-in for the two collections it
// uses (just the calls EventBus makes), since no MongoDB server is available to these tests.

class FakeDatabase {
  events: EventDocument[] = [];
  seq = 0;

  collections(): Collections {
    const events = {
      findOne: () =>
        Promise.resolve(this.events.reduce<EventDocument | null>(
          (newest, doc) => newest === null || doc._id > newest._id ? doc : newest,
          null,
        )),
      find: (filter: { _id: { $gt: number } }) => {
        let limit = Infinity;
        const cursor = {
          sort: () => cursor,
          limit: (n: number) => (limit = n, cursor),
          toArray: () =>
            Promise.resolve(
              this.events.filter((doc) => doc._id > filter._id.$gt)
                .sort((a, b) => a._id - b._id).slice(0, limit).map((doc) => ({ ...doc })),
            ),
        };
        return cursor;
      },
      insertMany: (docs: EventDocument[]) => {
        this.events.push(...docs.map((doc) => ({ ...doc })));
        return Promise.resolve();
      },
      deleteMany: (filter: { _id: { $lte: number } }) => {
        this.events = this.events.filter((doc) => doc._id > filter._id.$lte);
        return Promise.resolve();
      },
    };
    const counters = {
      findOneAndUpdate: (_filter: unknown, update: { $inc: { seq: number } }) => {
        this.seq += update.$inc.seq;
        return Promise.resolve({ _id: "events", seq: this.seq });
      },
    };
    return { events, counters } as unknown as Collections;
  }

  /** Inserts a message as another process would, at sequence number `_id`. */
  insert(_id: number, message: StoreMessage): void {
    this.events.push({ _id, origin: "elsewhere", body: JSON.stringify(message) });
  }
}

function bus(db: FakeDatabase, maxRows = 10_000): EventBus {
  const collections = db.collections();
  return new EventBus(() => Promise.resolve(collections), 1, maxRows);
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

/** Lets the subscription's first poll (which finds its starting point) run. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

test("EventBus delivers another store's messages by polling and its own ones directly, once", async () => {
  const db = new FakeDatabase();
  const [a, b] = [bus(db), bus(db)];
  const controller = new AbortController();
  const reader = a.subscribe(controller.signal).getReader();
  await settle();
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

test("EventBus holds messages behind a sequence gap until it fills", async () => {
  const db = new FakeDatabase();
  const a = bus(db);
  const reader = a.subscribe(new AbortController().signal).getReader();
  await settle();
  try {
    // Writer one took number 1, writer two took 2 and inserted first.
    db.seq = 2;
    db.insert(2, { type: "wake", task: "second" });
    assert.equal(await read(reader, 30), "timeout", "2 waits for 1");
    db.insert(1, { type: "wake", task: "first" });
    assert.deepEqual(await read(reader), { type: "wake", task: "first" });
    assert.deepEqual(await read(reader), { type: "wake", task: "second" });
  } finally {
    await a.close();
  }
});

test("EventBus skips a gap that never fills after a while", async () => {
  const db = new FakeDatabase();
  const a = bus(db);
  const reader = a.subscribe(new AbortController().signal).getReader();
  await settle();
  try {
    db.seq = 2;
    db.insert(2, { type: "wake", task: "after a dead writer" });
    assert.deepEqual(await read(reader, 5_000), { type: "wake", task: "after a dead writer" });
  } finally {
    await a.close();
  }
});

test("EventBus starts a subscription after the newest message and prunes old ones", async () => {
  const db = new FakeDatabase();
  const [a, b] = [bus(db), bus(db, 3)];
  await b.publish([{ type: "wake", task: "before" }]);
  const reader = a.subscribe(new AbortController().signal).getReader();
  await settle();
  try {
    await b.publish([{ type: "wake", task: "now" }]);
    assert.deepEqual(await read(reader), { type: "wake", task: "now" });
    await b.publish(Array.from({ length: 600 }, (_, i) => ({ type: "cancel", id: String(i) })));
    assert.deepEqual(db.events.map((doc) => doc._id), [600, 601, 602]);
  } finally {
    await a.close();
    await b.close();
  }
});
