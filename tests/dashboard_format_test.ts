import assert from "node:assert/strict";
import { test } from "node:test";
import {
  formatAge,
  formatDuration,
  formatJson,
  formatJsonShort,
  formatTime,
} from "../http/dashboard/client/format.js";

test("formatDuration() reads short at every scale", () => {
  assert.equal(formatDuration(850), "850 ms");
  assert.equal(formatDuration(12_340), "12 s");
  assert.equal(formatDuration(1_500), "1.5 s");
  assert.equal(formatDuration(242_000), "4 min 2 s");
  assert.equal(formatDuration(3 * 3_600_000 + 5 * 60_000 + 7_000), "3 h 5 min");
  assert.equal(formatDuration(2 * 86_400_000 + 4 * 3_600_000), "2 d 4 h");
  assert.equal(formatDuration(undefined), "—");
});

test("formatAge() says how long ago or how far ahead", () => {
  assert.equal(formatAge(1_000_000, 1_005_000), "5.0 s ago");
  assert.equal(formatAge(1_120_000, 1_000_000), "in 2 min");
  assert.equal(formatAge(1_000_000, 1_000_400), "now");
  assert.equal(formatAge(undefined), "—");
});

test("formatTime() shows the local time to the second, — for none", () => {
  assert.match(formatTime(Date.UTC(2025, 2, 4, 13, 5, 9)), /^2025-03-0[45] \d\d:\d5:09$/);
  assert.equal(formatTime(null), "—");
});

test("formatJson() indents, formatJsonShort() cuts to a length", () => {
  assert.equal(formatJson({ a: [1] }), '{\n  "a": [\n    1\n  ]\n}');
  assert.equal(formatJson(undefined), "—");
  assert.equal(formatJsonShort({ text: "x".repeat(100) }, 20), '{"text":"xxxxxxxxxx…');
  assert.equal(formatJsonShort(undefined), "");
});
