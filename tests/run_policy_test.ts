import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRetryPolicy, parseTimeout } from "../src/run_policy.ts";

test("parseRetryPolicy() reads a delay and max, or the options object", () => {
  assert.deepEqual(parseRetryPolicy("10s", 3, "retry"), {
    delay: 10_000,
    max: 3,
    backoff: "fixed",
  });
  assert.deepEqual(parseRetryPolicy({ delay: 500, backoff: "exponential" }, undefined, "retry"), {
    delay: 500,
    max: undefined,
    backoff: "exponential",
  });
  assert.equal(parseRetryPolicy("1s", Infinity, "retry").max, undefined);
});

test("parseRetryPolicy() names the action in its errors", () => {
  assert.throws(
    () => parseRetryPolicy({ delay: 1, backoff: "linear" as "fixed" }, undefined, "do it"),
    new TypeError(
      'Cannot do it as backoff must be "fixed" or "exponential": current value is "linear"',
    ),
  );
  assert.throws(
    () => parseRetryPolicy("1s", 0.5, "do it"),
    new RangeError("Cannot do it as max must be an integer >= 0: current value is 0.5"),
  );
  assert.throws(() => parseRetryPolicy(-1, 1, "do it"), RangeError);
});

test("parseTimeout() reads a positive duration and refuses 0", () => {
  assert.equal(parseTimeout("2m"), 120_000);
  assert.throws(
    () => parseTimeout("0ms"),
    new RangeError('Cannot use timeout as it must be > 0: current value is "0ms"'),
  );
});
