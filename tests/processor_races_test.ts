/**
 * The processor racing other actors for a job: another worker takes over the lease, a stale
 * token's outcome is refused, a cancel lands as the job completes. Each case runs on the memory
 * store and on a real SQLite file (through a FailingStore, which here only holds calls back to
 * order a race), on a ManualClock. Last, the leases themselves: renewed while a job runs,
 * recovered once a dead worker's lease expires.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { Store } from "../src/store.ts";
import { finalEvents, STORES, T0, withQueue } from "./_processor_fixture.ts";
import { deferred, PATIENCE, waitFor, waitForStatus, withTimeout } from "./_helpers.ts";

/**
 * What another worker does to a job whose worker seems gone: its lease is recovered once
 * expired (as after a long pause of this process), and it claims the job with a new token.
 */
async function takeOver(store: Store, task: string): Promise<void> {
  const later = T0 + 31_000;
  assert.equal((await store.recover(later)).length, 1, "the lease was recovered");
  const { jobs } = await store.claim({
    groups: [[task]],
    limit: 1,
    worker: "other-worker",
    leaseMs: 30_000,
    now: later,
  });
  assert.equal(jobs.length, 1, "the other worker claimed the job");
}

/** The messages of job `id`'s stored log lines. */
async function messages(store: Store, id: string): Promise<string[]> {
  return (await store.logs(id)).map((line) => line.message);
}

for (const [kind, open] of STORES) {
  test(`process() aborts a run whose lease was lost, writes no outcome and keeps its lines (${kind})`, () =>
    withQueue(open, async ({ queue, store, clock, errors, events }) => {
      const running = deferred<AbortSignal>();
      queue.define("long").action(async (job) => {
        job.log("halfway");
        running.resolve(job.signal);
        await new Promise((resolve) => job.signal.addEventListener("abort", resolve));
        job.log("after the abort");
      });
      const job = await queue.create("long");
      queue.process("default");
      const signal = await withTimeout(running.promise, PATIENCE, "the job to start");
      await takeOver(store.inner, "long");
      const renewed = store.nextCall("renew");
      await clock.advance(10_000); // the processor's next renewal: refused, the token is stale
      await withTimeout(renewed, PATIENCE, "the renewal");
      await waitFor(() => signal.aborted, PATIENCE, "the run's signal to abort");
      assert.equal((signal.reason as DOMException).message, "Job lease lost");
      await waitFor(
        async () => (await messages(store, job.id)).includes("Run abandoned: the lease was lost"),
        PATIENCE,
        "the run's lines to be stored",
      );
      const lines = await messages(store, job.id);
      assert.ok(lines.includes("halfway"), lines.join(" | "));
      assert.ok(!lines.includes("after the abort"), "a line logged after the abort is ignored");
      assert.ok(!lines.some((line) => line.startsWith("Completed")), lines.join(" | "));
      const stored = await store.get(job.id);
      assert.equal(stored?.status, "processing", "the other worker's run goes on");
      assert.equal(stored?.worker, "other-worker");
      assert.deepEqual(finalEvents(events, job.id), []);
      assert.deepEqual(errors, []);
    }));

  test(`process() stores an "Outcome refused" line and announces nothing when its token is stale (${kind})`, () =>
    withQueue(open, async ({ queue, store, errors, events }) => {
      const running = deferred();
      const finish = deferred();
      const completed: string[] = [];
      queue.define("mail").action(async (job) => {
        job.log("sent it");
        running.resolve();
        await finish.promise;
      }).on("complete", (job) => completed.push(job.id));
      const job = await queue.create("mail");
      queue.process("default");
      await withTimeout(running.promise, PATIENCE, "the job to start");
      await takeOver(store.inner, "mail"); // unnoticed: no renewal before the run ends
      finish.resolve();
      const refused = "Outcome refused: the job changed while it ran";
      await waitFor(
        async () => (await messages(store, job.id)).includes(refused),
        PATIENCE,
        "the refused outcome's line",
      );
      const lines = await messages(store, job.id);
      assert.ok(lines.includes("sent it"), lines.join(" | "));
      const stored = await store.get(job.id);
      assert.equal(stored?.status, "processing");
      assert.equal(stored?.worker, "other-worker");
      assert.deepEqual(completed, []);
      assert.deepEqual(finalEvents(events, job.id), []);
      assert.deepEqual(errors, []);
    }));

  test(`cancel() landing while the completed outcome is on its way wins, with one final event (${kind})`, () =>
    withQueue(open, async ({ queue, store, events }) => {
      queue.define("mail").action(() => {});
      store.hold("settle");
      const settling = store.nextCall("settle");
      const job = await queue.create("mail");
      queue.process("default");
      await withTimeout(settling, PATIENCE, "the settle call");
      assert.equal(await queue.cancel(job.id), true);
      store.release();
      await waitFor(
        async () => (await messages(store, job.id)).some((line) => line.startsWith("Outcome")),
        PATIENCE,
        "the refused outcome",
      );
      assert.equal((await store.get(job.id))?.status, "cancelled");
      assert.deepEqual(finalEvents(events, job.id), ["cancelled"]);
    }));

  test(`cancel() arriving after the outcome was stored resolves false, with one final event (${kind})`, () =>
    withQueue(open, async ({ queue, store, events }) => {
      queue.define("mail").action(() => {});
      const job = await queue.create("mail");
      store.hold("cancel");
      const cancelling = store.nextCall("cancel");
      const cancelled = queue.cancel(job.id);
      await withTimeout(cancelling, PATIENCE, "the cancel call");
      queue.process("default");
      await waitFor(() => finalEvents(events, job.id).length > 0, PATIENCE, "the completed event");
      store.release();
      assert.equal(await withTimeout(cancelled, PATIENCE, "cancel()"), false);
      assert.equal((await store.get(job.id))?.status, "completed");
      assert.deepEqual(finalEvents(events, job.id), ["completed"]);
    }));

  test(`cancel() racing completions ends every job with one final status and one event (${kind})`, () =>
    withQueue(open, async ({ queue, store, events, errors }) => {
      const gates = new Map<string, () => void>();
      const started = new Set<string>();
      queue.define("race").action((job) =>
        new Promise<void>((resolve) => {
          gates.set(job.id, resolve);
          started.add(job.id);
        })
      );
      const jobs = await queue.createMany(Array.from({ length: 24 }, () => ({ task: "race" })));
      queue.process("default", { concurrency: 24 });
      await waitFor(() => started.size === 24, PATIENCE, "every job running");
      // Job n completes, then is cancelled n % 6 microtask turns later (0: in the same turn).
      const cancels = jobs.map(async (job, n) => {
        gates.get(job.id)!();
        for (let i = 0; i < n % 6; i++) await Promise.resolve();
        return await queue.cancel(job.id);
      });
      const cancelled = await withTimeout(Promise.all(cancels), PATIENCE, "every cancel()");
      for (const [n, job] of jobs.entries()) {
        await waitFor(
          async () =>
            (await messages(store, job.id)).some((l) => /^(Completed|Outcome|Run)/.test(l)),
          PATIENCE,
          `the end of job ${job.id}'s run`,
        );
        const status = (await store.get(job.id))?.status;
        assert.equal(status, cancelled[n] ? "cancelled" : "completed", `job ${job.id}`);
        await waitFor(() => finalEvents(events, job.id).length > 0, PATIENCE, "a final event");
        assert.deepEqual(finalEvents(events, job.id), [status], `job ${job.id}'s final events`);
      }
      // The interleavings differ: some cancels land before the outcome is stored, some after.
      assert.ok(cancelled.includes(true) && cancelled.includes(false), String(cancelled));
      assert.deepEqual(errors, []);
    }));
}

test("a running job's lease is renewed while it runs, so a long job is never recovered", async () => {
  const clock = new ManualClock(0);
  const queue = kinetik({ interval: "1h", lease: "30s", clock });
  const finish = deferred();
  const stalled: string[] = [];
  queue.on("stalled", (job) => stalled.push(job.id));
  queue.define("long").action(() => finish.promise);
  try {
    const job = await queue.create("long");
    queue.process("default");
    await waitForStatus(queue, job.id, "processing");
    for (let i = 0; i < 10; i++) await clock.advance(10_000);
    assert.ok((await queue.get(job.id))!.leaseUntil! > clock.now());
    finish.resolve();
    await waitForStatus(queue, job.id, "completed");
    assert.deepEqual(stalled, []);
  } finally {
    await queue.close();
  }
});

test("a job whose worker died is recovered after its lease expires, with a stalled event", async () => {
  const clock = new ManualClock(0);
  const store = new MemoryStore();
  const queue = kinetik(store, { interval: "1h", lease: "30s", clock });
  const stalled: string[] = [];
  queue.on("stalled", (job) => stalled.push(`${job.id} ${job.status}`));
  queue.define("work").action(() => {});
  try {
    const job = await queue.create("work");
    // A worker elsewhere claims the job, then dies without a word.
    const { jobs } = await store.claim({
      groups: [["work"]],
      limit: 1,
      worker: "dead",
      leaseMs: 30_000,
      now: clock.now(),
    });
    assert.equal(jobs.length, 1);
    queue.process("default");
    await clock.advance(61_000); // an idle processor recovers at least once per lease
    await waitForStatus(queue, job.id, "completed");
    assert.deepEqual(stalled, [`${job.id} queued`]);
    const lines = (await queue.logs(job.id)).map((line) => line.message);
    assert.ok(lines.some((line) => line.startsWith("Stalled")), lines.join("\n"));
    assert.equal((await queue.get(job.id))?.attempts, 2);
  } finally {
    await queue.close();
  }
});
