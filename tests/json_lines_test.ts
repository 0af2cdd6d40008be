import assert from "node:assert/strict";
import { test } from "node:test";
import { fromJsonLines, toJsonLines } from "../stores/_json_lines.ts";

test("toJsonLines() and fromJsonLines() round-trip lines, data and newlines inside messages", () => {
  const lines = [
    { time: 1, message: "Started" },
    { time: 2, message: "two\nlines", data: { n: [1, "x"] } },
  ];
  const text = toJsonLines(lines);
  assert.equal(text.split("\n").length, 3, "one line each, ending in a newline");
  assert.deepEqual(fromJsonLines(text), lines);
  assert.deepEqual(fromJsonLines(toJsonLines([])), []);
});

test("fromJsonLines() puts appended lines in time order, equal times as appended", () => {
  const text = toJsonLines([{ time: 5, message: "Cancelled" }]) +
    toJsonLines([{ time: 1, message: "Started" }, { time: 5, message: "last words" }]);
  assert.deepEqual(fromJsonLines(text).map((line) => line.message), [
    "Started",
    "Cancelled",
    "last words",
  ]);
});
