import assert from "node:assert/strict";
import { test } from "node:test";
import { inTimeOrder } from "../src/log_order.ts";

const at = (time: number, message: string) => ({ time, message });

test("inTimeOrder() sorts lines by time, keeping append order among equal times", () => {
  const lines = [at(5, "cancel"), at(1, "start"), at(5, "stopped"), at(3, "work"), at(1, "b")];
  assert.deepEqual(inTimeOrder(lines).map((line) => line.message), [
    "start",
    "b",
    "work",
    "cancel",
    "stopped",
  ]);
});

test("inTimeOrder() returns the same array, untouched when already in order", () => {
  const lines = [at(1, "a"), at(1, "b"), at(2, "c")];
  const copy = [...lines];
  assert.equal(inTimeOrder(lines), lines);
  assert.deepEqual(lines, copy);
  assert.deepEqual(inTimeOrder([]), []);
});
