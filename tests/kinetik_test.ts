import { test } from "node:test";
import assert from "node:assert/strict";
import { cli, environment, kinetik, MemoryStore, Queue } from "../mod.ts";
import { watchAll } from "./_helpers.ts";

test("kinetik() returns a Queue on a MemoryStore when given nothing", async () => {
  const queue = kinetik();
  assert.ok(queue instanceof Queue);
  assert.ok(queue.store instanceof MemoryStore);
  await queue.close();
});

test("kinetik.environment and kinetik.cli are the seed's middleware", () => {
  assert.equal(kinetik.environment, environment);
  assert.equal(kinetik.cli, cli);
});

test("kinetik.environment() processes the tags in QUEUE, as queue.use() plugin", async () => {
  const previous = process.env.QUEUE;
  process.env.QUEUE = "messaging";
  const queue = kinetik({ interval: 20 });
  try {
    queue.define("send email").tag("messaging").action(() => {});
    queue.use(kinetik.environment([], { handleSignals: false }));
    const job = await queue.create("send email", {});
    const events = await watchAll(queue, job.id);
    assert.equal(events.at(-1)?.type, "completed");
    assert.equal((await queue.get(job.id))?.status, "completed");
  } finally {
    if (previous === undefined) delete process.env.QUEUE;
    else process.env.QUEUE = previous;
    await queue.close();
  }
});
