import { test } from "node:test";
import assert from "node:assert/strict";
import { assertTaskName, buildJob } from "../src/job_spec.ts";

const NOW = Date.UTC(2024, 0, 1, 12, 0, 0);
const BAD_NAME = 'as a task name must be a non-empty string without ":": current value is ';

test("assertTaskName() accepts a non-empty name with spaces", () => {
  assert.doesNotThrow(() => assertTaskName("send email", "define task"));
});

test("assertTaskName() throws TypeError when the name is empty or blank", () => {
  assert.throws(
    () => assertTaskName("", "define task"),
    new TypeError(`Cannot define task ${BAD_NAME}""`),
  );
  assert.throws(
    () => assertTaskName("   ", "define task"),
    new TypeError(`Cannot define task ${BAD_NAME}"   "`),
  );
});

test('assertTaskName() throws TypeError when the name contains ":"', () => {
  assert.throws(
    () => assertTaskName("email:send", "define task"),
    new TypeError(`Cannot define task ${BAD_NAME}"email:send"`),
  );
});

test("assertTaskName() throws TypeError when the name is not a string", () => {
  assert.throws(
    () => assertTaskName(42, "define task"),
    new TypeError(`Cannot define task ${BAD_NAME}42`),
  );
  assert.throws(
    () => assertTaskName(undefined, "create job"),
    new TypeError(`Cannot create job ${BAD_NAME}undefined`),
  );
});

test("buildJob() builds a queued job with data {} and a Created line when given no data", () => {
  assert.deepEqual(buildJob("send email", undefined, undefined, NOW), {
    task: "send email",
    data: {},
    created: NOW,
    priority: 0,
    log: { time: NOW, message: "Created" },
  });
});

test("buildJob() keeps the data as given, null included", () => {
  const data = { to: "ford@example.com" };
  assert.equal(buildJob("send email", data, undefined, NOW).data, data);
  assert.equal(buildJob("send email", null, undefined, NOW).data, null);
});

test("buildJob() reads the task name from a task object", () => {
  assert.equal(buildJob({ name: "send email" }, {}, undefined, NOW).task, "send email");
});

test("buildJob() sets runAt and a delayed Created line when the delay is a number", () => {
  const job = buildJob("send email", {}, 1500, NOW);
  assert.equal(job.runAt, NOW + 1500);
  assert.equal(job.log.message, "Created, delayed until 2024-01-01T12:00:01.500Z");
  assert.equal(job.log.time, NOW);
});

test("buildJob() sets runAt when the delay is a string", () => {
  const job = buildJob("send email", {}, "1d", NOW);
  assert.equal(job.runAt, NOW + 86_400_000);
  assert.equal(job.log.message, "Created, delayed until 2024-01-02T12:00:00.000Z");
});

test("buildJob() reads delay, priority and key from an options object", () => {
  const job = buildJob("send email", {}, { delay: "30s", priority: -2, key: "user-42" }, NOW);
  assert.equal(job.runAt, NOW + 30_000);
  assert.equal(job.priority, -2);
  assert.equal(job.key, "user-42");
});

test("buildJob() leaves runAt unset when the delay is 0", () => {
  const job = buildJob("send email", {}, { delay: 0 }, NOW);
  assert.equal("runAt" in job, false);
  assert.equal("key" in job, false);
  assert.equal(job.log.message, "Created");
});

test("buildJob() throws TypeError with the value when the delay is unreadable", () => {
  assert.throws(
    () => buildJob("send email", {}, "soon", NOW),
    new TypeError(
      'Cannot read delay as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is "soon"',
    ),
  );
});

test("buildJob() throws RangeError when the delay is negative", () => {
  assert.throws(
    () => buildJob("send email", {}, { delay: -5 }, NOW),
    new RangeError("Cannot use delay as it must be a finite duration >= 0: current value is -5"),
  );
});

test("buildJob() throws TypeError when the priority is not an integer", () => {
  const prefix =
    'Cannot create job for "send email" as priority must be an integer: current value is ';
  assert.throws(
    () => buildJob("send email", {}, { priority: 1.5 }, NOW),
    new TypeError(`${prefix}1.5`),
  );
  assert.throws(
    () => buildJob("send email", {}, { priority: "1" as unknown as number }, NOW),
    new TypeError(`${prefix}"1"`),
  );
  assert.throws(
    () => buildJob("send email", {}, { priority: NaN }, NOW),
    new TypeError(`${prefix}NaN`),
  );
});

test("buildJob() throws TypeError when the key is empty or not a string", () => {
  const prefix =
    'Cannot create job for "send email" as key must be a non-empty string: current value is ';
  assert.throws(() => buildJob("send email", {}, { key: "" }, NOW), new TypeError(`${prefix}""`));
  assert.throws(
    () => buildJob("send email", {}, { key: 7 as unknown as string }, NOW),
    new TypeError(`${prefix}7`),
  );
});

test("buildJob() throws TypeError for a bad task name", () => {
  assert.throws(
    () => buildJob("a:b", {}, undefined, NOW),
    new TypeError(`Cannot create job ${BAD_NAME}"a:b"`),
  );
  assert.throws(
    () => buildJob(null as unknown as string, {}, undefined, NOW),
    new TypeError(`Cannot create job ${BAD_NAME}null`),
  );
});

test("buildJob() throws TypeError naming the task and path when the data is not JSON", () => {
  assert.throws(
    () => buildJob("send email", { cb: () => {} }, undefined, NOW),
    new TypeError(
      'Cannot create job for "send email" as its data must be JSON-serialisable: data.cb is a function',
    ),
  );
});

test("buildJob() throws RangeError naming the limit when the data is nested too deep", () => {
  let deep: unknown = 1;
  for (let i = 0; i < 5_000; i++) deep = [deep];
  assert.throws(
    () => buildJob("send email", deep, undefined, NOW),
    new RangeError(
      'Cannot create job for "send email" as its data must be nested at most 1000 levels ' +
        "deep: current value is nested more than 1000 levels deep",
    ),
  );
});

test("buildJob() reads a null delay as no delay", () => {
  const job = buildJob("email", {}, null as never, 1000);
  assert.equal(job.runAt, undefined);
});

test("buildJob() stores a per-job retry policy with the stall limit it implies", () => {
  const job = buildJob("t", {}, { retry: { delay: "5s", max: 2, backoff: "exponential" } }, NOW);
  assert.deepEqual(job.retry, { delay: 5_000, max: 2, backoff: "exponential" });
  assert.equal(job.maxAttempts, 4, "two retries, plus one run for a crash");
  const endless = buildJob("t", {}, { retry: "1m" }, NOW);
  assert.deepEqual(endless.retry, { delay: 60_000, backoff: "fixed" });
  assert.equal(endless.maxAttempts, 0, "unlimited retries never fail a stalled job");
});

test("buildJob() stores a per-job timeout in ms", () => {
  assert.equal(buildJob("t", {}, { timeout: "30s" }, NOW).timeout, 30_000);
  assert.equal(buildJob("t", {}, { timeout: 250 }, NOW).timeout, 250);
  const plain = buildJob("t", {}, {}, NOW);
  assert.equal("timeout" in plain || "retry" in plain || "maxAttempts" in plain, false);
});

test("buildJob() throws a typed error for a bad per-job retry or timeout", () => {
  assert.throws(
    () => buildJob("t", {}, { retry: { delay: "1s", backoff: "linear" as "fixed" } }, NOW),
    new TypeError(
      'Cannot create job for "t" as backoff must be "fixed" or "exponential": current value is "linear"',
    ),
  );
  assert.throws(
    () => buildJob("t", {}, { retry: { delay: "1s", max: -1 } }, NOW),
    new RangeError('Cannot create job for "t" as max must be an integer >= 0: current value is -1'),
  );
  assert.throws(() => buildJob("t", {}, { retry: "soon" }, NOW), TypeError);
  assert.throws(
    () => buildJob("t", {}, { timeout: 0 }, NOW),
    new RangeError("Cannot use timeout as it must be > 0: current value is 0"),
  );
  assert.throws(() => buildJob("t", {}, { timeout: "forever" }, NOW), TypeError);
});
