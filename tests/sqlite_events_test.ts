import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DatabaseSync } from "node:sqlite";
import type { StoreMessage } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { PATIENCE, withTimeout } from "./_helpers.ts";

/** A fresh directory per test (bun test runs every file in one process). */
function withDir(run: (path: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), "kinetik-sqlite-events-"));
    try {
      await run(join(dir, "events.db"));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

function rows(path: string): { n: number; oldest: number | null } {
  const db = new DatabaseSync(path);
  try {
    return db.prepare("SELECT count(*) AS n, min(time) AS oldest FROM events").get() as {
      n: number;
      oldest: number | null;
    };
  } finally {
    db.close();
  }
}

const jobEvent = (id: string): StoreMessage => ({
  type: "event",
  origin: "test",
  event: [{ type: "progress", id, time: 0 }],
});

test(
  "SqliteStore prunes event rows by count after 512 inserts, keeping the newest",
  withDir(async (path) => {
    const store = new SqliteStore({ path, eventMaxRows: 50 });
    try {
      for (let i = 0; i < 512; i++) await store.publish({ type: "cancel", id: String(i) });
      assert.equal(rows(path).n, 50);
    } finally {
      await store.close();
    }
  }),
);

test(
  "SqliteStore prunes event rows older than eventMaxAge and keeps the recent ones",
  withDir(async (path) => {
    const store = new SqliteStore({ path, eventMaxAge: 60_000 });
    try {
      await store.count({}); // the schema exists
      const db = new DatabaseSync(path);
      const old = db.prepare("INSERT INTO events (origin, time, body) VALUES ('x', 0, ?)");
      for (let i = 0; i < 10; i++) old.run(JSON.stringify({ type: "wake" }));
      db.close();
      for (let i = 0; i < 512; i++) await store.publish({ type: "cancel", id: String(i) });
      const left = rows(path);
      assert.equal(left.n, 512, "the ten rows from 1970 are gone, the new ones stay");
      assert.ok(left.oldest! > 0);
    } finally {
      await store.close();
    }
  }),
);

test(
  "SqliteStore writes a job event with the next settle-or-claim transaction, or alone soon after",
  withDir(async (path) => {
    const writer = new SqliteStore({ path });
    const reader = new SqliteStore({ path, pollInterval: 5 });
    const controller = new AbortController();
    try {
      const stream = reader.subscribe(controller.signal).getReader();
      // Alone: no transaction follows, and the event still arrives.
      await withTimeout(writer.publish(jobEvent("1")), PATIENCE, "the lone event's write");
      const first = await withTimeout(stream.read(), PATIENCE, "the lone event");
      assert.deepEqual(first.value, jobEvent("1"));
      // Riding: the event and the add's wake-up are written by one transaction.
      const published = writer.publish(jobEvent("2"));
      await writer.add([
        { task: "t", data: null, created: 1, priority: 0, log: { time: 1, message: "Created" } },
      ]);
      await withTimeout(published, PATIENCE, "the riding event's write");
      const seen = [
        (await withTimeout(stream.read(), PATIENCE, "a message")).value,
        (await withTimeout(stream.read(), PATIENCE, "a message")).value,
      ];
      assert.deepEqual(seen, [{ type: "wake", task: "t" }, jobEvent("2")]);
    } finally {
      controller.abort();
      await writer.close();
      await reader.close();
    }
  }),
);

test(
  "SqliteStore.close() writes the job events still waiting to ride",
  withDir(async (path) => {
    const writer = new SqliteStore({ path });
    const reader = new SqliteStore({ path });
    const controller = new AbortController();
    try {
      reader.subscribe(controller.signal);
      const published = writer.publish(jobEvent("1"));
      await writer.close();
      await published;
      assert.deepEqual(bodies(path), [jobEvent("1")]);
    } finally {
      controller.abort();
      await reader.close();
    }
  }),
);

function bodies(path: string): unknown[] {
  const db = new DatabaseSync(path);
  try {
    return (db.prepare("SELECT body FROM events ORDER BY id").all() as { body: string }[])
      .map(({ body }) => JSON.parse(body));
  } finally {
    db.close();
  }
}

test(
  "SqliteStore writes job events only while another connection subscribes",
  withDir(async (path) => {
    const writer = new SqliteStore({ path });
    const controller = new AbortController();
    try {
      // Its own subscriber gets the event directly; no row is written for it.
      const own = writer.subscribe(controller.signal).getReader();
      await writer.publish(jobEvent("1"));
      assert.deepEqual(
        (await withTimeout(own.read(), PATIENCE, "the own event")).value,
        jobEvent("1"),
      );
      assert.deepEqual(bodies(path), []);

      const reader = new SqliteStore({ path, pollInterval: 5 });
      try {
        const stream = reader.subscribe(controller.signal).getReader();
        await writer.publish(jobEvent("2"));
        const seen = await withTimeout(stream.read(), PATIENCE, "the event of a subscribed reader");
        assert.deepEqual(seen.value, jobEvent("2"));
      } finally {
        await reader.close();
      }
      // The reader's row went with its last subscriber.
      await writer.publish(jobEvent("3"));
      assert.deepEqual(bodies(path), [jobEvent("2")]);
    } finally {
      controller.abort();
      await writer.close();
    }
  }),
);

test(
  "SqliteStore stops writing job events for a subscriber whose row expired",
  withDir(async (path) => {
    const writer = new SqliteStore({ path });
    try {
      await writer.count({}); // the schema exists
      const db = new DatabaseSync(path);
      const row = db.prepare("INSERT INTO subscribers (origin, expires) VALUES (?, ?)");
      row.run("killed", Date.now() - 1); // a process killed before its row expired
      await writer.publish(jobEvent("1"));
      row.run("alive", Date.now() + 60_000);
      await writer.publish(jobEvent("2"));
      db.close();
      assert.deepEqual(bodies(path), [jobEvent("2")]);
    } finally {
      await writer.close();
    }
  }),
);

test(
  "SqliteStore.add() writes its wake-up rows only while another connection subscribes",
  withDir(async (path) => {
    const writer = new SqliteStore({ path });
    const controller = new AbortController();
    const job = { task: "t", data: null, created: 1, priority: 0, log: { time: 1, message: "" } };
    try {
      const own = writer.subscribe(controller.signal).getReader();
      await writer.add([job]);
      const woken = await withTimeout(own.read(), PATIENCE, "the own wake-up");
      assert.deepEqual(woken.value, { type: "wake", task: "t" });
      assert.deepEqual(bodies(path), []);
      const reader = new SqliteStore({ path });
      try {
        reader.subscribe(controller.signal);
        await writer.add([job]);
        assert.deepEqual(bodies(path), [{ type: "wake", task: "t" }]);
      } finally {
        await reader.close();
      }
    } finally {
      controller.abort();
      await writer.close();
    }
  }),
);
