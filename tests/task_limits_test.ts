import assert from "node:assert/strict";
import { test } from "node:test";
import { claimLimits, parseConcurrency, parseRate } from "../src/task_limits.ts";

test("parseRate() reads max and a duration window", () => {
  assert.deepEqual(parseRate(100, "1m"), { max: 100, per: 60_000 });
  assert.deepEqual(parseRate(1, 1), { max: 1, per: 1 });
  assert.throws(() => parseRate(1, "0ms"), RangeError);
  assert.throws(() => parseRate(Number.MAX_SAFE_INTEGER + 1, "1s"), RangeError);
});

test("parseConcurrency() takes integers from 1", () => {
  assert.equal(parseConcurrency(1), 1);
  assert.throws(() => parseConcurrency(-1), RangeError);
  assert.throws(() => parseConcurrency(null), RangeError);
});

test("claimLimits() lists only limited tasks, and nothing when none is", () => {
  const task = (name: string, settings: object) => ({ name, settings });
  assert.equal(claimLimits([task("a", {}), task("b", { tag: "x" })]), undefined);
  const rate = { max: 2, per: 1_000 };
  const limits = claimLimits([
    task("a", {}),
    task("b", { rate }),
    task("c", { concurrency: 4 }),
  ]);
  assert.deepEqual(limits, { b: { rate: { max: 2, per: 1_000 } }, c: { concurrency: 4 } });
  rate.max = 9;
  assert.equal(limits?.b.rate?.max, 2, "a copy, so a claim in flight is not changed");
});
