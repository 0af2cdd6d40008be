import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import { clockTime } from "../src/cli/_format.ts";
import { runOn } from "./_cli_run.ts";
import { storeWithout } from "./_helpers.ts";

const MINUTE = 60_000;
/** A five-minute boundary. */
const M0 = 1_700_000_100_000;

/** A queue whose store holds two tasks' counts in two five-minute buckets. */
async function queueWithMetrics() {
  const store = new MemoryStore();
  await store.recordMetrics([
    { task: "mail", minute: M0, completed: 3, failed: 1, runtimes: { "27": 4 } },
    { task: "mail", minute: M0 + 6 * MINUTE, completed: 2, failed: 0, runtimes: { "81": 2 } },
    { task: "resize", minute: M0 + 7 * MINUTE, completed: 0, failed: 2, runtimes: { "3": 2 } },
  ], M0);
  return kinetik(store, { interval: "1h", clock: new ManualClock(M0 + 9 * MINUTE) });
}

test("kinetik stats prints each task's buckets with runs, then its whole window", async () => {
  const queue = await queueWithMetrics();
  try {
    const { code, stdout, stderr } = await runOn(queue, ["stats", "--since", "10m"]);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /^Runs since \d\d:\d\d:\d\d, in 5m buckets:\n$/);
    const at = (time: number) => clockTime(time).slice(0, 5);
    assert.deepEqual(stdout.trimEnd().split("\n").map((line) => line.split(/ {2,}/)), [
      ["TASK", "FROM", "COMPLETED", "FAILED", "P50", "P95"],
      ["mail", at(M0), "3", "1", "9.9ms", "10ms"],
      ["mail", at(M0 + 5 * MINUTE), "2", "0", "1.1s", "1.1s"],
      ["mail", "all", "5", "1", "10ms", "1.1s"],
      ["resize", at(M0 + 5 * MINUTE), "0", "2", "1.2ms", "1.3ms"],
      ["resize", "all", "0", "2", "1.2ms", "1.3ms"],
    ]);
  } finally {
    await queue.close();
  }
});

test("kinetik stats --json prints queue.metrics() with the bucket asked for", async () => {
  const queue = await queueWithMetrics();
  try {
    const { code, stdout } = await runOn(queue, [
      "stats",
      "--since",
      "10m",
      "--bucket",
      "1m",
      "--json",
    ]);
    assert.equal(code, 0);
    const printed = JSON.parse(stdout);
    assert.deepEqual(printed, await queue.metrics({ since: "10m", bucket: "1m" }));
    assert.equal(printed.bucket, MINUTE);
    assert.equal(printed.times.length, 11);
    assert.deepEqual(printed.total.overall.completed, 5);
  } finally {
    await queue.close();
  }
});

test("kinetik stats says so when nothing ran in the window", async () => {
  const queue = await queueWithMetrics();
  try {
    const { code, stdout } = await runOn(queue, ["stats", "--since", "1m", "--bucket", "1m"]);
    assert.equal(code, 0);
    assert.match(stdout, /^No runs since \d\d:\d\d:\d\d\.\n$/);
  } finally {
    await queue.close();
  }
});

test("kinetik stats exits 2 for a bucket of no whole minutes, 1 on a store without metrics", async () => {
  const queue = await queueWithMetrics();
  try {
    const bad = await runOn(queue, ["stats", "--bucket", "90s"]);
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      'kinetik: stats: Cannot read metrics as bucket must be whole minutes from 1m to 24h: current value is "90s"\n',
    );
    assert.equal((await runOn(queue, ["stats", "--since", "soon"])).code, 2);
  } finally {
    await queue.close();
  }
  const without = kinetik(storeWithout(new MemoryStore(), "metrics"));
  try {
    const { code, stderr } = await runOn(without, ["stats"]);
    assert.equal(code, 1);
    assert.equal(stderr, "kinetik: Cannot read metrics as the memory store does not keep them\n");
  } finally {
    await without.close();
  }
});
