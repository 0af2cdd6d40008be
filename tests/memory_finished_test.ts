import { test } from "node:test";
import assert from "node:assert/strict";
import type { JobStatus } from "../src/job.ts";
import { FinishedIndex } from "../stores/_memory_finished.ts";
import type { Entry } from "../stores/_memory_index.ts";

let seq = 0;
function entry(status: JobStatus, finished: number): Entry {
  const id = String(++seq);
  return {
    job: { id, task: "t", data: null, status, created: 0, attempts: 1, priority: 0, finished },
    seq,
    readyAt: 0,
    stamp: seq,
    token: undefined,
    logs: [],
    hasOwnMaxAttempts: false,
  };
}

const ids = (index: FinishedIndex, statuses: JobStatus[], before?: number) => {
  const out: string[] = [];
  for (let e = index.takeOldest(statuses, before); e; e = index.takeOldest(statuses, before)) {
    out.push(e.job.id);
  }
  return out;
};

test("FinishedIndex.takeOldest() returns entries oldest first, also when filed out of order", () => {
  const index = new FinishedIndex();
  const entries = [30, 10, 20, 40, 5].map((time) => entry("completed", time));
  for (const e of entries) index.add(e);
  const byTime = [...entries].sort((a, b) => a.job.finished! - b.job.finished!);
  assert.deepEqual(ids(index, ["completed"]), byTime.map((e) => e.job.id));
});

test("FinishedIndex.takeOldest() merges statuses and stops at before", () => {
  const index = new FinishedIndex();
  const done = entry("completed", 10);
  const failed = entry("failed", 5);
  const late = entry("failed", 50);
  for (const e of [done, failed, late]) index.add(e);
  assert.equal(index.takeOldest(["completed"], 10), undefined, "finished at before is kept");
  assert.deepEqual(ids(index, ["completed", "failed"], 11), [failed.job.id, done.job.id]);
  assert.equal(index.takeOldest(["failed"])?.job.id, late.job.id);
});

test("FinishedIndex.takeOldest() skips entries that changed status since they finished", () => {
  const index = new FinishedIndex();
  const requeued = entry("failed", 1);
  const kept = entry("failed", 2);
  index.add(requeued);
  index.add(kept);
  requeued.stamp += 100; // requeued (or removed) since
  assert.deepEqual(ids(index, ["failed"]), [kept.job.id]);
});

test("FinishedIndex keeps order across many entries (the list is compacted as it drains)", () => {
  const index = new FinishedIndex();
  const entries = Array.from({ length: 5_000 }, (_, i) => entry("timeout", i));
  for (const e of entries) index.add(e);
  const first = ids(index, ["timeout"], 3_000);
  assert.equal(first.length, 3_000);
  index.add(entry("timeout", 10)); // out of order, goes to the heap
  const rest = ids(index, ["timeout"]);
  assert.equal(rest.length, 2_001);
  assert.equal(rest[0], String(seq), "the late entry is the oldest left");
});
