import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { DEFAULT_STORE_URL, defaultStoreUrl, openStore } from "../src/open_store.ts";
import { MemoryStore } from "../stores/memory.ts";
import { SqliteStore } from "../stores/sqlite.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-open-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const FORMS =
  "memory:, sqlite:<path>, sqlite:///<absolute path>, redis://…, rediss://…, mongodb://…, mongodb+srv://…, postgres://…, postgresql://…";

test("openStore() opens a memory store for memory:", async () => {
  const store = await openStore("memory:");
  assert.ok(store instanceof MemoryStore);
  await store.close();
});

test("openStore() opens a SQLite file for sqlite:path, relative or absolute", async () => {
  const absolute = join(dir, "plain.db");
  const store = await openStore(`sqlite:${absolute}`);
  assert.ok(store instanceof SqliteStore);
  await store.close();
  assert.ok(existsSync(absolute));

  const relativePath = relative(process.cwd(), join(dir, "relative.db"));
  assert.ok(!relativePath.startsWith("/"));
  const other = await openStore(`sqlite:${relativePath}`);
  await other.close();
  assert.ok(existsSync(join(dir, "relative.db")));
});

test("openStore() opens sqlite:///abs/path as a percent-decoded absolute path", async () => {
  const path = join(dir, "with space.db");
  const store = await openStore(`sqlite://${encodeURI(path)}`);
  assert.equal(store.name, "sqlite");
  await store.close();
  assert.ok(existsSync(path));
});

test("openStore() opens an in-memory SQLite database for sqlite::memory:", async () => {
  const store = await openStore("sqlite::memory:");
  const [job] = await store.add([{
    task: "t",
    data: 1,
    created: 0,
    priority: 0,
    log: { time: 0, message: "Created" },
  }]);
  assert.equal((await store.get(job.id))?.data, 1);
  await store.close();
});

test("openStore() opens the Redis, MongoDB and PostgreSQL stores for their schemes, connecting lazily", async () => {
  // Nothing listens on port 1: the stores open without a round trip and close cleanly.
  for (
    const [url, name] of [
      ["redis://127.0.0.1:1", "redis"],
      ["rediss://127.0.0.1:1", "redis"],
      ["mongodb://127.0.0.1:1/jobs", "mongo"],
      ["postgres://127.0.0.1:1/jobs", "postgres"],
      ["postgresql://127.0.0.1:1/jobs", "postgres"],
    ]
  ) {
    const store = await openStore(url);
    assert.equal(store.name, name, url);
    await store.close();
  }
});

test("openStore() throws a TypeError naming the accepted forms for an unknown scheme", async () => {
  for (const url of ["mysql://localhost/db", "kinetik.db", "", "file:///tmp/x.db"]) {
    await assert.rejects(
      openStore(url),
      new TypeError(
        `Cannot open a store as it must have one of the forms ${FORMS}: current value is ${
          JSON.stringify(url)
        }`,
      ),
    );
  }
  await assert.rejects(openStore(42 as unknown as string), TypeError);
});

test("openStore() throws a TypeError for malformed URLs of a known scheme", async () => {
  const cases: [string, RegExp][] = [
    ["sqlite:", /needs a file path/],
    ["sqlite://", /needs a file path/],
    ["sqlite://db.example.com/x.db", /local file, not a host/],
    ["redis://", /not a well-formed URL with a host/],
    ["redis:localhost", /not a well-formed URL with a host/],
    ["rediss://[bad", /not a well-formed URL with a host/],
    ["mongodb://", /not a well-formed URL with a host/],
    ["mongodb+srv:///db", /not a well-formed URL with a host/],
    ["postgres://", /not a well-formed URL with a host/],
    ["postgresql:///db", /not a well-formed URL with a host/],
    ["memory:extra", /takes no path/],
  ];
  for (const [url, message] of cases) {
    await assert.rejects(openStore(url), (error: unknown) => {
      assert.ok(error instanceof TypeError, `${url}: expected a TypeError`);
      assert.match(error.message, message, url);
      assert.ok(error.message.endsWith(`current value is ${JSON.stringify(url)}`), url);
      return true;
    });
  }
});

test("openStore() reports a SQLite file that cannot be opened as a StoreError", async () => {
  await assert.rejects(
    openStore(`sqlite:${join(dir, "missing", "x.db")}`),
    (error: unknown) => error instanceof Error && error.name === "StoreError",
  );
});

test("defaultStoreUrl() returns KINETIK_STORE, else sqlite:kinetik.db", () => {
  const saved = process.env.KINETIK_STORE;
  try {
    delete process.env.KINETIK_STORE;
    assert.equal(defaultStoreUrl(), "sqlite:kinetik.db");
    assert.equal(DEFAULT_STORE_URL, "sqlite:kinetik.db");
    process.env.KINETIK_STORE = "redis://localhost:6379";
    assert.equal(defaultStoreUrl(), "redis://localhost:6379");
    process.env.KINETIK_STORE = "";
    assert.equal(defaultStoreUrl(), "sqlite:kinetik.db");
  } finally {
    if (saved === undefined) delete process.env.KINETIK_STORE;
    else process.env.KINETIK_STORE = saved;
  }
});
