/**
 * The processor when the store fails under it: an outage mid-call, a call that never answers,
 * a reply lost after the store did the work, a failing heartbeat. Each case runs on the memory
 * store and on a real SQLite file, wrapped in a FailingStore, on a ManualClock so backoff is
 * measured in the queue's own time. The races with other workers (a lease lost, an outcome
 * refused, a cancel) are in processor_races_test.ts.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore, StoreError } from "../mod.ts";
import { FailingStore } from "./_failing_store.ts";
import { finalEvents, STORES, T0, withQueue } from "./_processor_fixture.ts";
import { deferred, nextEvent, PATIENCE, waitFor, waitForStatus, withTimeout } from "./_helpers.ts";

for (const [kind, open] of STORES) {
  test(`process() reports a store outage as error, backs off and settles the outcome once the store is back (${kind})`, () =>
    withQueue(open, async ({ queue, store, clock, errors, events }) => {
      queue.define("mail").action((job) => job.log("sent it"));
      const job = await queue.create("mail");
      store.fail("settle");
      const failed = nextEvent(queue, "error");
      queue.process("default");
      await failed;
      assert.equal(store.callsOf("settle"), 1);
      // Backoff doubles from 200 ms: no second try before it has passed on the queue's clock.
      await clock.advance(199);
      assert.equal(store.callsOf("settle"), 1, "retried before the backoff passed");
      await clock.advance(1);
      await waitFor(() => errors.length === 2, PATIENCE, "the second failed settle");
      store.heal();
      await clock.advance(399);
      assert.equal(store.callsOf("settle"), 2, "retried before the doubled backoff passed");
      await clock.advance(1);
      const done = await waitForStatus(queue, job.id, "completed");
      assert.equal(done.attempts, 1, "the outcome was retried, not the job");
      assert.deepEqual(errors, store.injected);
      assert.ok(errors.every((error) => error instanceof StoreError));
      assert.match(String(errors[0]), new RegExp(`^StoreError: ${store.name}: Cannot settle`));
      const messages = (await queue.logs(job.id)).map((line) => line.message.split(" ")[0]);
      assert.deepEqual(messages, ["Created", "Started", "sent", "Completed"]);
      await waitFor(() => finalEvents(events, job.id).length > 0, PATIENCE, "the completed event");
      assert.deepEqual(finalEvents(events, job.id), ["completed"]);
    }));

  test(`process() loses no job when the whole store goes down while jobs run (${kind})`, () =>
    withQueue(open, async ({ queue, store, clock, errors, events }) => {
      const gate = deferred();
      const runs = new Map<string, number>();
      queue.define("work").action(async (job) => {
        runs.set(job.id, (runs.get(job.id) ?? 0) + 1);
        await gate.promise;
      });
      const jobs = await queue.createMany([{ task: "work" }, { task: "work" }, { task: "work" }]);
      queue.process("default", { concurrency: 3 });
      await waitFor(() => runs.size === 3, PATIENCE, "three jobs running");
      store.fail(["settle", "claim", "recover", "heartbeat", "appendLogs", "renew", "publish"]);
      gate.resolve();
      await waitFor(() => errors.length >= 1, PATIENCE, "an error event");
      // Time passes with the store down: every retry fails, backoff grows, nothing is lost.
      for (let i = 0; i < 8; i++) await clock.advance(1_000);
      const failures = errors.length;
      assert.ok(failures >= 4, `retried while down: ${failures} failures`);
      store.heal();
      await clock.advance(10_000);
      for (const job of jobs) await waitForStatus(queue, job.id, "completed");
      const late = await queue.create("work");
      await waitForStatus(queue, late.id, "completed");
      assert.deepEqual([...runs.values()], [1, 1, 1, 1], "every job ran exactly once");
      assert.ok(errors.every((error) => store.injected.includes(error as StoreError)));
      for (const job of [...jobs, late]) {
        await waitFor(() => finalEvents(events, job.id).length > 0, PATIENCE, "completed event");
        assert.deepEqual(finalEvents(events, job.id), ["completed"]);
      }
    }));

  test(`process() retries an outcome whose settle hung until the connection died (${kind})`, () =>
    withQueue(open, async ({ queue, store, clock, errors, events }) => {
      queue.define("mail").action(() => {});
      const job = await queue.create("mail");
      store.fail("settle", "hang");
      const settling = store.nextCall("settle");
      queue.process("default");
      await withTimeout(settling, PATIENCE, "the settle call");
      assert.deepEqual(errors, [], "a hung call reports nothing yet");
      assert.equal((await queue.get(job.id))?.status, "processing");
      store.heal(); // the hung call rejects, as a client that detected the dead connection
      await waitFor(() => errors.length === 1, PATIENCE, "the lost call's error");
      await clock.advance(200);
      await waitForStatus(queue, job.id, "completed");
      await waitFor(() => finalEvents(events, job.id).length > 0, PATIENCE, "the completed event");
      assert.deepEqual(finalEvents(events, job.id), ["completed"]);
    }));

  test(`process() announces an outcome once and logs it once when the settle's reply was lost (${kind})`, () =>
    withQueue(open, async ({ queue, store, clock, errors, events }) => {
      queue.define("mail").action((job) => job.log("sent it"));
      const job = await queue.create("mail");
      store.fail("settle", "lose-reply");
      const failed = nextEvent(queue, "error");
      queue.process("default");
      await failed;
      store.heal();
      await clock.advance(200);
      await waitFor(() => store.callsOf("settle") === 2, PATIENCE, "the settle to be retried");
      await waitFor(() => finalEvents(events, job.id).length > 0, PATIENCE, "the completed event");
      assert.deepEqual(finalEvents(events, job.id), ["completed"]);
      assert.equal(errors.length, 1);
      const messages = (await queue.logs(job.id)).map((line) => line.message.split(" ")[0]);
      assert.deepEqual(messages, ["Created", "Started", "sent", "Completed"]);
      assert.equal((await queue.get(job.id))?.status, "completed");
    }));

  test(`process() reports a failing heartbeat and keeps running and renewing jobs (${kind})`, () =>
    withQueue(open, async ({ queue, store, clock, errors }) => {
      store.fail("heartbeat");
      const finish = deferred();
      queue.define("long").action(() => finish.promise);
      queue.define("short").action(() => {});
      const job = await queue.create("long");
      queue.process("default", { concurrency: 2 });
      await waitForStatus(queue, job.id, "processing");
      await waitFor(() => errors.length >= 1, PATIENCE, "the first heartbeat's error");
      // Ten renewals with the heartbeat failing every time: the lease still moves on.
      for (let i = 0; i < 10; i++) await clock.advance(10_000);
      await waitFor(() => store.callsOf("renew") >= 10, PATIENCE, "ten renewals");
      const running = await queue.get(job.id);
      assert.equal(running?.status, "processing");
      assert.ok(running!.leaseUntil! > clock.now(), "the lease was renewed");
      const short = await queue.create("short");
      await waitForStatus(queue, short.id, "completed");
      finish.resolve();
      await waitForStatus(queue, job.id, "completed");
      assert.ok(store.callsOf("heartbeat") >= 2, "the heartbeat was tried again");
      assert.equal(errors.length, store.callsOf("heartbeat"), "each failed heartbeat is reported");
      assert.deepEqual(errors, store.injected);
      assert.equal(clock.now(), T0 + 100_000);
    }));
}

test("FailingStore passes calls through to the store it wraps and counts them", async () => {
  const store = new FailingStore(new MemoryStore());
  try {
    const [job] = await store.add([{
      task: "a",
      data: null,
      created: T0,
      priority: 0,
      log: { time: T0, message: "Created" },
    }]);
    assert.equal((await store.inner.get(job.id))?.status, "queued");
    store.fail("get");
    await assert.rejects(store.get(job.id), /^StoreError: memory: Cannot get as the store is down/);
    store.heal();
    assert.equal((await store.get(job.id))?.id, job.id);
    assert.deepEqual(store.calls, ["add", "get", "get"]);
  } finally {
    await store.close();
  }
});
