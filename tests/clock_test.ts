import { test } from "node:test";
import assert from "node:assert/strict";
import { sleep, systemClock } from "../src/clock.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { PATIENCE, withTimeout } from "./_helpers.ts";

/** Whether `promise` has settled after pending callbacks ran. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return settled;
}

test("sleep() resolves once the time has passed on a ManualClock, not before", async () => {
  const clock = new ManualClock(0);
  const slept = sleep(clock, 1000);
  await clock.advance(999);
  assert.equal(await isSettled(slept), false);
  await clock.advance(1);
  assert.equal(await isSettled(slept), true);
  assert.equal(clock.pending, 0);
});

test("sleep() resolves at once and clears its timer when the signal aborts", async () => {
  const clock = new ManualClock(0);
  const controller = new AbortController();
  const slept = sleep(clock, 60_000, controller.signal);
  assert.equal(await isSettled(slept), false);
  assert.equal(clock.pending, 1);
  controller.abort();
  assert.equal(await isSettled(slept), true);
  assert.equal(clock.pending, 0);
});

test("sleep() resolves at once without setting a timer when the signal is already aborted", async () => {
  const clock = new ManualClock(0);
  const slept = sleep(clock, 60_000, AbortSignal.abort());
  assert.equal(clock.pending, 0);
  assert.equal(await isSettled(slept), true);
});

test("sleep() never rejects, whatever the signal's reason", async () => {
  const clock = new ManualClock(0);
  const controller = new AbortController();
  const slept = sleep(clock, 1000, controller.signal);
  controller.abort(new Error("stop"));
  assert.equal(await slept, undefined);
});

test("sleep() ignores the signal once the time has passed", async () => {
  const clock = new ManualClock(0);
  const controller = new AbortController();
  const slept = sleep(clock, 10, controller.signal);
  await clock.advance(10);
  assert.equal(await isSettled(slept), true);
  controller.abort();
  assert.equal(clock.pending, 0);
});

test("sleep() treats a negative time as zero", async () => {
  const clock = new ManualClock(0);
  const slept = sleep(clock, -500);
  await clock.advance(0);
  assert.equal(await isSettled(slept), true);
  assert.equal(clock.now(), 0);
});

test("systemClock.now() reads the real time", () => {
  const before = Date.now();
  const now = systemClock.now();
  assert.ok(now >= before && now <= Date.now());
});

test("systemClock.setTimeout() calls fn after ms, and clearTimeout() stops it", async () => {
  const calls: string[] = [];
  const cleared = systemClock.setTimeout(() => calls.push("cleared"), 1);
  // Timers of one length fire in the order they were set: by the time "kept" runs, "cleared"
  // would have run.
  const kept = new Promise<void>((resolve) =>
    systemClock.setTimeout(() => {
      calls.push("kept");
      resolve();
    }, 1)
  );
  systemClock.clearTimeout(cleared);
  await withTimeout(kept, PATIENCE, "the timer");
  assert.deepEqual(calls, ["kept"]);
});

test("sleep() on systemClock waits on a real timer: a shorter one fires first", async () => {
  const order: string[] = [];
  const slept = sleep(systemClock, 3).then(() => order.push("slept"));
  setTimeout(() => order.push("1 ms timer"), 1);
  assert.equal(await isSettled(slept), false);
  await withTimeout(slept, PATIENCE, "sleep()");
  assert.deepEqual(order, ["1 ms timer", "slept"]);
});
