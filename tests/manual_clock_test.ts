import assert from "node:assert/strict";
import { test } from "node:test";
import { sleep } from "../src/clock.ts";
import { ManualClock } from "../testing.ts";

test("ManualClock.now() starts at the given time and moves only when told", async () => {
  const clock = new ManualClock(1_000);
  assert.equal(clock.now(), 1_000);
  await clock.advance(250);
  assert.equal(clock.now(), 1_250);
  clock.set(5_000);
  assert.equal(clock.now(), 5_000);
});

test("ManualClock.advance() fires due timers in time order, not the later ones", async () => {
  const clock = new ManualClock(0);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("b@200"), 200);
  clock.setTimeout(() => fired.push("a@100"), 100);
  clock.setTimeout(() => fired.push("c@100"), 100);
  clock.setTimeout(() => fired.push("late"), 1_000);
  await clock.advance(200);
  assert.deepEqual(fired, ["a@100", "c@100", "b@200"]);
  assert.equal(clock.pending, 1);
});

test("ManualClock.advance() shows each timer the time it was due", async () => {
  const clock = new ManualClock(0);
  const seen: number[] = [];
  clock.setTimeout(() => seen.push(clock.now()), 30);
  clock.setTimeout(() => seen.push(clock.now()), 70);
  await clock.advance(100);
  assert.deepEqual(seen, [30, 70]);
  assert.equal(clock.now(), 100);
});

test("ManualClock.advance() fires timers set by timers when they fall due", async () => {
  const clock = new ManualClock(0);
  const ticks: number[] = [];
  const tick = () => {
    ticks.push(clock.now());
    if (ticks.length < 5) clock.setTimeout(tick, 10);
  };
  clock.setTimeout(tick, 10);
  await clock.advance(35);
  assert.deepEqual(ticks, [10, 20, 30]);
  await clock.advance(100);
  assert.deepEqual(ticks, [10, 20, 30, 40, 50]);
  assert.equal(clock.pending, 0);
});

test("ManualClock.advance() lets promise chains started by a timer run before the next", async () => {
  const clock = new ManualClock(0);
  const order: string[] = [];
  clock.setTimeout(() => {
    Promise.resolve().then(() => order.push("first's promise"));
  }, 10);
  clock.setTimeout(() => order.push("second"), 10);
  await clock.advance(10);
  assert.deepEqual(order, ["first's promise", "second"]);
});

test("ManualClock.clearTimeout() removes a pending timer", async () => {
  const clock = new ManualClock(0);
  let fired = false;
  const handle = clock.setTimeout(() => fired = true, 10);
  assert.equal(clock.pending, 1);
  clock.clearTimeout(handle);
  assert.equal(clock.pending, 0);
  await clock.advance(100);
  assert.equal(fired, false);
});

test("ManualClock.set() moves time without firing timers", async () => {
  const clock = new ManualClock(0);
  let fired = false;
  clock.setTimeout(() => fired = true, 10);
  clock.set(1_000);
  assert.equal(fired, false);
  await clock.advance(0);
  assert.equal(fired, true, "the overdue timer fires on the next advance");
});

test("sleep() on a ManualClock resolves when time is advanced, or at once on abort", async () => {
  const clock = new ManualClock(0);
  let woke = false;
  const sleeping = sleep(clock, 1_000).then(() => woke = true);
  await clock.advance(999);
  assert.equal(woke, false);
  await clock.advance(1);
  await sleeping;
  assert.equal(woke, true);

  const controller = new AbortController();
  const aborted = sleep(clock, 60_000, controller.signal);
  controller.abort();
  await aborted;
  assert.equal(clock.pending, 0, "an aborted sleep clears its timer");
});
