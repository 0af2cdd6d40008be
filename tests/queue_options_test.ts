import { test } from "node:test";
import assert from "node:assert/strict";
import { systemClock } from "../src/clock.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { resolveProcessOptions, resolveQueueOptions, resolveTags } from "../src/queue_options.ts";

const CONCURRENCY = "Cannot use concurrency as it must be an integer >= 1: current value is ";
const UNREADABLE =
  'as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is ';

test("resolveQueueOptions() applies the defaults when given nothing", () => {
  assert.deepEqual(resolveQueueOptions({}), {
    clock: systemClock,
    interval: 10_000,
    lease: 30_000,
    concurrency: 1,
    grace: 5_000,
    retention: [
      { status: "completed", age: 7 * 86_400_000 },
      { status: "failed", age: 30 * 86_400_000 },
      { status: "timeout", age: 30 * 86_400_000 },
      { status: "cancelled", age: 30 * 86_400_000 },
    ],
  });
});

test("resolveQueueOptions() reads ms-strings and numbers, and keeps the given clock", () => {
  const clock = new ManualClock(0);
  assert.deepEqual(
    resolveQueueOptions({
      interval: "1m",
      lease: 2500,
      concurrency: 4,
      grace: "2h",
      clock,
      retention: false,
    }),
    { clock, interval: 60_000, lease: 2500, concurrency: 4, grace: 7_200_000, retention: [] },
  );
});

test("resolveQueueOptions() raises a zero lease to 1 ms", () => {
  assert.equal(resolveQueueOptions({ lease: 0 }).lease, 1);
  assert.equal(resolveQueueOptions({ interval: 0 }).interval, 0);
});

test('resolveQueueOptions() throws RangeError for a concurrency of 0, 1.5 or "2"', () => {
  for (const [value, shown] of [[0, "0"], [1.5, "1.5"], ["2", '"2"'], [-1, "-1"]] as const) {
    assert.throws(() => resolveQueueOptions({ concurrency: value as number }), {
      name: "RangeError",
      message: CONCURRENCY + shown,
    });
  }
});

test("resolveQueueOptions() throws for an unreadable or negative duration, naming the option", () => {
  assert.throws(() => resolveQueueOptions({ interval: "soon" }), {
    name: "TypeError",
    message: `Cannot read interval ${UNREADABLE}"soon"`,
  });
  assert.throws(() => resolveQueueOptions({ lease: "a while" }), {
    name: "TypeError",
    message: `Cannot read lease ${UNREADABLE}"a while"`,
  });
  assert.throws(() => resolveQueueOptions({ grace: -1 }), {
    name: "RangeError",
    message: "Cannot use grace as it must be a finite duration >= 0: current value is -1",
  });
});

const QUEUE = resolveQueueOptions({ interval: "10s", concurrency: 3 });

test("resolveProcessOptions() keeps the queue's settings when given nothing", () => {
  assert.deepEqual(resolveProcessOptions(undefined, QUEUE), { interval: 10_000, concurrency: 3 });
  assert.deepEqual(resolveProcessOptions({}, QUEUE), { interval: 10_000, concurrency: 3 });
});

test("resolveProcessOptions() takes a number or ms-string as the interval", () => {
  assert.deepEqual(resolveProcessOptions(500, QUEUE), { interval: 500, concurrency: 3 });
  assert.deepEqual(resolveProcessOptions("2m", QUEUE), { interval: 120_000, concurrency: 3 });
  assert.deepEqual(resolveProcessOptions(0, QUEUE), { interval: 0, concurrency: 3 });
});

test("resolveProcessOptions() takes an options object, each field over the queue's", () => {
  assert.deepEqual(resolveProcessOptions({ interval: "1s", concurrency: 8 }, QUEUE), {
    interval: 1000,
    concurrency: 8,
  });
  assert.deepEqual(resolveProcessOptions({ concurrency: 2 }, QUEUE), {
    interval: 10_000,
    concurrency: 2,
  });
  assert.deepEqual(resolveProcessOptions({ interval: 50 }, QUEUE), {
    interval: 50,
    concurrency: 3,
  });
});

test("resolveProcessOptions() throws for a bad interval or concurrency", () => {
  assert.throws(() => resolveProcessOptions("often", QUEUE), {
    name: "TypeError",
    message: `Cannot read interval ${UNREADABLE}"often"`,
  });
  assert.throws(() => resolveProcessOptions({ interval: -5 }, QUEUE), RangeError);
  assert.throws(() => resolveProcessOptions({ concurrency: 0 }, QUEUE), {
    name: "RangeError",
    message: CONCURRENCY + "0",
  });
  assert.throws(() => resolveProcessOptions({ concurrency: "4" as unknown as number }, QUEUE), {
    name: "RangeError",
    message: CONCURRENCY + '"4"',
  });
});

test("resolveTags() turns a tag into a list and copies a list", () => {
  assert.deepEqual(resolveTags("messaging"), ["messaging"]);
  const tags = ["notifications", "db aggregation"];
  const resolved = resolveTags(tags);
  assert.deepEqual(resolved, tags);
  assert.notEqual(resolved, tags);
});

test("resolveTags() throws TypeError showing the value for empty or non-string tags", () => {
  const prefix =
    "Cannot process tags as they must be a non-empty string or array of them: current value is ";
  for (
    const [value, shown] of [
      ["", '""'],
      [[], "[]"],
      [["a", ""], '["a",""]'],
      [["a", 1], '["a",1]'],
      [42, "42"],
      [undefined, "undefined"],
      [null, "null"],
    ] as const
  ) {
    assert.throws(() => resolveTags(value), { name: "TypeError", message: prefix + shown });
  }
});
