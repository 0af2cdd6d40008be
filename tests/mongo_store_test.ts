import { after, test } from "node:test";
import process from "node:process";
import { MongoClient } from "mongodb";
import { MongoStore } from "../stores/mongo.ts";
import { STORE_CASE_GROUPS, testStore } from "../testing.ts";
import { NOT_YET } from "./_helpers.ts";

// The conformance suite against a real server, when KINETIK_MONGO_URL names one. Every run
// uses a fresh database, dropped at the end; every case a fresh collection prefix in it.
const url = process.env.KINETIK_MONGO_URL;
const skip = url ? undefined : "KINETIK_MONGO_URL is not set: no MongoDB server to test against";
if (skip) console.log(`Skipping the MongoDB store tests: ${skip}`);

const database = `kinetik_test_${Date.now().toString(36)}_${
  Math.random().toString(36).slice(2, 6)
}`;

let prefixes = 0;

after(async () => {
  if (!url) return;
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 5_000 });
  try {
    await client.db(database).dropDatabase();
  } finally {
    await client.close();
  }
});

testStore(test, {
  name: "mongo",
  open: () => new MongoStore({ url: url!, database, prefix: `t${++prefixes}_` }),
  skip: skip ? Object.fromEntries(STORE_CASE_GROUPS.map((group) => [group, skip])) : NOT_YET,
});
