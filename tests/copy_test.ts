import assert from "node:assert/strict";
import { test } from "node:test";
import { copyJob, copyLine, copyValue } from "../stores/_copy.ts";

test("copyValue() returns a deep copy that shares nothing with its input", () => {
  const value = { a: [1, { b: "c" }], d: { e: null, f: true } };
  const copy = copyValue(value);
  assert.deepEqual(copy, value);
  assert.notEqual(copy, value);
  assert.notEqual(copy.a, value.a);
  assert.notEqual(copy.a[1], value.a[1]);
  assert.notEqual(copy.d, value.d);
});

test("copyValue() follows JSON.stringify for unset values, functions and toJSON", () => {
  const value = {
    gone: undefined,
    fn: () => 1,
    list: [undefined, () => 1, 2],
    when: new Date(0),
    custom: { toJSON: () => "custom" },
  };
  assert.deepEqual(copyValue(value), JSON.parse(JSON.stringify(value)));
  assert.deepEqual(copyValue(value), {
    list: [null, null, 2],
    when: "1970-01-01T00:00:00.000Z",
    custom: "custom",
  });
});

test("copyValue() returns primitives as they are", () => {
  for (const value of [null, undefined, 0, -1.5, "", "text", true, false]) {
    assert.equal(copyValue(value), value);
  }
});

test("copyJob() leaves out unset fields and copies data, error and progress", () => {
  const job = {
    id: "1",
    task: "t",
    data: { n: [1] },
    status: "failed" as const,
    created: 5,
    runAt: undefined,
    attempts: 1,
    priority: 0,
    error: { message: "boom" },
    progress: { current: 1, total: 2 },
    worker: undefined,
  };
  const copy = copyJob(job);
  assert.deepEqual(Object.keys(copy).sort(), [
    "attempts",
    "created",
    "data",
    "error",
    "id",
    "priority",
    "progress",
    "status",
    "task",
  ]);
  assert.notEqual(copy.data, job.data);
  assert.notEqual(copy.error, job.error);
  assert.notEqual(copy.progress, job.progress);
});

test("copyLine() copies the data of a log line and leaves out unset data", () => {
  const line = { time: 1, message: "m", data: { deep: [1] } };
  const copy = copyLine(line);
  assert.deepEqual(copy, line);
  assert.notEqual(copy.data, line.data);
  assert.deepEqual(Object.keys(copyLine({ time: 1, message: "m" })), ["time", "message"]);
});

/** `levels` arrays and objects, one inside the other, around `leaf`. */
function nested(levels: number, leaf: unknown): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? { inner: value, gone: undefined } : [value];
  return value;
}

test("copyValue() copies data nested 20,000 levels deep as JSON would", () => {
  // Deeper than the core lets job data nest: a store used directly must not overflow either.
  const deep = nested(20_000, { when: new Date(0), list: [undefined, () => 1, "x"] });
  const copy = copyValue(deep);
  let original = deep as Record<string, unknown> | unknown[];
  let copied = copy as Record<string, unknown> | unknown[];
  for (let level = 0; level < 20_000; level++) {
    assert.notEqual(copied, original, `level ${level} is shared`);
    if (Array.isArray(original)) {
      original = original[0] as typeof original;
      copied = (copied as unknown[])[0] as typeof copied;
    } else {
      assert.equal("gone" in copied, false, `level ${level} kept an unset field`);
      original = original.inner as typeof original;
      copied = (copied as Record<string, unknown>).inner as typeof copied;
    }
  }
  assert.deepEqual(copied, { when: "1970-01-01T00:00:00.000Z", list: [null, null, "x"] });
});
