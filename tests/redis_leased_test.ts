import assert from "node:assert/strict";
import { test } from "node:test";
import type { LeasedJob } from "../src/store.ts";
import { LeasedRecords } from "../stores/redis/_leased.ts";

const leased = (id: string, token: string): LeasedJob => ({
  id,
  task: "t",
  data: { n: 1 },
  status: "processing",
  created: 1,
  attempts: 1,
  priority: 0,
  token,
});

test("LeasedRecords.take() returns a remembered record once, by token and id", () => {
  const records = new LeasedRecords();
  records.remember({ jobs: [leased("1", "a"), leased("2", "b")] });
  assert.equal(records.take("2", "a"), undefined, "another job's token");
  assert.equal(records.take("1", "a"), undefined, "a wrong guess forgets the token too");
  assert.equal(records.take("2", "b")?.id, "2");
  assert.equal(records.take("2", "b"), undefined, "taken once");
});

test("LeasedRecords.remember() keeps its own copies and forgets the oldest beyond 10,000", () => {
  const records = new LeasedRecords();
  const kept = leased("k", "tk");
  records.remember({ jobs: [kept] });
  kept.status = "completed";
  assert.equal(records.take("k", "tk")?.status, "processing", "a copy, not the caller's object");
  records.remember({ jobs: [leased("0", "t0")] });
  records.remember({
    jobs: Array.from({ length: 10_000 }, (_, i) => leased(String(i + 1), `t${i + 1}`)),
  });
  assert.equal(records.take("0", "t0"), undefined, "the oldest is forgotten");
  assert.equal(records.take("10000", "t10000")?.status, "processing");
});
