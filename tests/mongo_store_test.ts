import assert from "node:assert/strict";
import { after, test } from "node:test";
import { MongoClient } from "mongodb";
import { MongoStore } from "../stores/mongo.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { mongoServer } from "./_mongo_server.ts";

// The conformance suite against the server mongoServer() gives: the mongo-wire emulator
// (not MongoDB) unless KINETIK_MONGO_URL names a server. Every run uses a fresh database,
// dropped at the end; every case a fresh collection prefix in it.
const server = await mongoServer();
const skip = typeof server === "string" ? server : undefined;
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

testStore(test, {
  name: "mongo",
  open: () => new MongoStore({ url, database, prefix: `t${++prefixes}_` }),
  openPeer: (store) => new MongoStore({ url, database, prefix: (store as MongoStore).prefix }),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : {},
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
