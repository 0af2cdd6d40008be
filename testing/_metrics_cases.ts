/**
 * Conformance cases for metrics (group `metrics`): `recordMetrics` sums samples of one task
 * and minute (counts and histograms, bucket by bucket), keeps tasks and minutes apart, and
 * drops minutes older than 24 hours; `metrics(since)` reads the minutes at or after `since`.
 * @module
 */

import assert from "node:assert/strict";
import type { MetricsSample, Store } from "../src/store.ts";
import type { StoreCase } from "./_helpers.ts";
import { T0 } from "./_helpers.ts";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** The minute holding `T0`. */
const M0 = T0 - (T0 % MINUTE);

function assertCanKeepMetrics(store: Store): void {
  for (const verb of ["recordMetrics", "metrics"] as const) {
    assert.equal(
      typeof store[verb],
      "function",
      `${verb}() is missing: implement it or skip "metrics" with a reason`,
    );
  }
}

function sample(task: string, minute: number, fields: Partial<MetricsSample> = {}): MetricsSample {
  return { task, minute, completed: 0, failed: 0, runtimes: {}, ...fields };
}

/** The samples by minute, then task, with histogram buckets in a fixed order. */
async function read(store: Store, since: number): Promise<MetricsSample[]> {
  const samples = await store.metrics!(since);
  return samples
    .map((s) => ({
      task: s.task,
      minute: s.minute,
      completed: s.completed,
      failed: s.failed,
      runtimes: Object.fromEntries(
        Object.entries(s.runtimes).filter(([, n]) => n !== 0)
          .sort(([a], [b]) => Number(a) - Number(b)),
      ),
    }))
    .sort((a, b) => a.minute - b.minute || (a.task < b.task ? -1 : a.task > b.task ? 1 : 0));
}

/** The cases of group `metrics`. */
export const metricsCases: readonly StoreCase[] = [
  {
    name: "metrics: an empty store reads no samples, and recording none changes nothing",
    async run(store) {
      assertCanKeepMetrics(store);
      assert.deepEqual(await read(store, 0), []);
      await store.recordMetrics!([], T0);
      assert.deepEqual(await read(store, 0), []);
    },
  },
  {
    name: "metrics: two records of one task and minute add up, histograms bucket by bucket",
    async run(store) {
      assertCanKeepMetrics(store);
      await store.recordMetrics!([
        sample("send email", M0, { completed: 3, failed: 1, runtimes: { "1": 2, "9": 2 } }),
      ], T0);
      await store.recordMetrics!([
        sample("send email", M0, { completed: 2, failed: 4, runtimes: { "9": 3, "120": 3 } }),
      ], T0 + 1000);
      assert.deepEqual(await read(store, M0), [
        sample("send email", M0, {
          completed: 5,
          failed: 5,
          runtimes: { "1": 2, "9": 5, "120": 3 },
        }),
      ]);
    },
  },
  {
    name: "metrics: samples of one task and minute in one call add up too",
    async run(store) {
      assertCanKeepMetrics(store);
      await store.recordMetrics!([
        sample("resize", M0, { completed: 1, runtimes: { "0": 1 } }),
        sample("resize", M0, { completed: 1, runtimes: { "0": 1 } }),
      ], T0);
      assert.deepEqual(await read(store, M0), [
        sample("resize", M0, { completed: 2, runtimes: { "0": 2 } }),
      ]);
    },
  },
  {
    name: "metrics: keeps tasks and minutes apart",
    async run(store) {
      assertCanKeepMetrics(store);
      const next = M0 + MINUTE;
      await store.recordMetrics!([
        sample("send email", M0, { completed: 1, runtimes: { "10": 1 } }),
        sample("résumé ✉", M0, { failed: 2, runtimes: { "30": 2 } }),
        sample("send email", next, { completed: 4, runtimes: { "11": 4 } }),
      ], next);
      assert.deepEqual(
        await read(store, M0),
        [
          sample("résumé ✉", M0, { failed: 2, runtimes: { "30": 2 } }),
          sample("send email", M0, { completed: 1, runtimes: { "10": 1 } }),
          sample("send email", next, { completed: 4, runtimes: { "11": 4 } }),
        ].sort((a, b) => a.minute - b.minute || (a.task < b.task ? -1 : 1)),
      );
    },
  },
  {
    name: "metrics: reads only the minutes at or after since",
    async run(store) {
      assertCanKeepMetrics(store);
      const minutes = [0, 1, 2, 3].map((i) => M0 + i * MINUTE);
      await store.recordMetrics!(
        minutes.map((minute, i) =>
          sample("tick", minute, { completed: i + 1, runtimes: { "5": i + 1 } })
        ),
        minutes[3],
      );
      assert.deepEqual(
        (await read(store, minutes[2])).map((s) => [s.minute, s.completed]),
        [[minutes[2], 3], [minutes[3], 4]],
      );
      assert.deepEqual(
        (await read(store, minutes[2] - 1)).map((s) => s.minute),
        [minutes[2], minutes[3]],
        "a since inside the minute before does not bring that minute",
      );
      assert.deepEqual(await read(store, minutes[3] + MINUTE), []);
    },
  },
  {
    name: "metrics: recording drops minutes older than 24 hours",
    async run(store) {
      assertCanKeepMetrics(store);
      const old = M0;
      const kept = M0 + MINUTE;
      await store.recordMetrics!([
        sample("tick", old, { completed: 1, runtimes: { "1": 1 } }),
        sample("tick", kept, { completed: 2, runtimes: { "1": 2 } }),
      ], kept);
      // Exactly 24 hours after `kept` began: `old` is older than that, `kept` is not.
      const now = kept + DAY;
      await store.recordMetrics!([
        sample("tick", now, { failed: 1, runtimes: { "2": 1 } }),
      ], now);
      assert.deepEqual((await read(store, 0)).map((s) => s.minute), [kept, now]);
    },
  },
  {
    name: "metrics: records from two connections at once all add up",
    async run(store, { peer }) {
      assertCanKeepMetrics(store);
      const other = await peer();
      const writes = Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? other : store).recordMetrics!([
          sample("send email", M0, {
            completed: 1,
            failed: 1,
            runtimes: { "7": 1, [8 + (i % 3)]: 2 },
          }),
          sample("resize", M0, { completed: 2, runtimes: { "40": 1 } }),
        ], T0));
      await Promise.all(writes);
      assert.deepEqual(await read(store, M0), [
        sample("resize", M0, { completed: 40, runtimes: { "40": 20 } }),
        sample("send email", M0, {
          completed: 20,
          failed: 20,
          runtimes: { "7": 20, "8": 14, "9": 14, "10": 12 },
        }),
      ]);
    },
  },
];
