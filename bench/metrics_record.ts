/**
 * `deno run -A bench/metrics_record.ts` (or `bun bench/metrics_record.ts`): what counting one
 * run for the metrics costs a processor — `MetricsRecorder.record()` called 2,000,000 times per
 * round over three tasks, a run in ten failing, run times spread over 1 ms … 1 s — and the
 * batched write that follows, on the memory store. Prints ns per run and ms per write.
 * @module
 */

import { MemoryStore } from "../stores/memory.ts";
import { systemClock } from "../src/clock.ts";
import { MetricsRecorder } from "../src/metrics_recorder.ts";

const RUNS = 2_000_000;
const recorder = new MetricsRecorder(new MemoryStore(), systemClock, (error) => {
  throw error;
});
const tasks = ["send email", "resize image", "sync"];
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
for (let round = 1; round <= 5; round++) {
  const ended = Date.now();
  const start = performance.now();
  for (let i = 0; i < RUNS; i++) {
    recorder.record(
      tasks[i % 3],
      i % 10 ? "completed" : "failed",
      ended + i / 1000,
      (i % 1000) + 1,
    );
  }
  const counted = performance.now();
  await recorder.flush();
  const written = performance.now();
  console.log(
    `${runtime} round ${round}: record ${((counted - start) * 1e6 / RUNS).toFixed(1)} ns/run, ` +
      `write ${(written - counted).toFixed(2)} ms`,
  );
}
await recorder.close();
