import assert from "node:assert/strict";
import { test } from "node:test";
import { MISSED_CAP, planFire, scheduleJobKey } from "../src/schedules/fire_plan.ts";
import { buildSchedule } from "../src/schedules/schedule_spec.ts";
import type { MissedPolicy } from "../src/store.ts";

const T = 1_700_000_000_000; // a multiple of 1 s

function everySecond(missed: MissedPolicy) {
  return buildSchedule("tick", { every: "1s", missed, data: { n: 1 }, priority: 2 }, T - 1);
}

test("planFire() is undefined before next and fires next's job when on time", () => {
  const record = everySecond("latest");
  assert.equal(record.next, T);
  assert.equal(planFire(record, T - 1, 100), undefined);
  const fire = planFire(record, T + 5, 100)!;
  assert.deepEqual(fire, {
    id: "tick",
    spec: record.spec,
    expected: T,
    next: T + 1_000,
    jobs: [{
      task: "tick",
      data: { n: 1 },
      created: T + 5,
      priority: 2,
      key: `schedule:tick:${T}`,
      log: { time: T + 5, message: `Created by schedule "tick" for ${new Date(T).toISOString()}` },
    }],
  });
  assert.equal(scheduleJobKey("tick", T), `schedule:tick:${T}`);
});

test("planFire() after an outage follows the missed policy and moves next past now", () => {
  const now = T + 5_500; // fire times T … T + 5 s passed
  const keys = (policy: MissedPolicy, tolerance = 100) =>
    planFire(everySecond(policy), now, tolerance)!.jobs.map((job) => job.key);
  assert.deepEqual(keys("latest"), [`schedule:tick:${T + 5_000}`]);
  assert.deepEqual(keys("all"), [0, 1, 2, 3, 4, 5].map((s) => `schedule:tick:${T + s * 1_000}`));
  assert.deepEqual(keys("skip"), [], "every fire time is older than the tolerance");
  assert.deepEqual(keys("skip", 500), [`schedule:tick:${T + 5_000}`], "the latest is on time");
  for (const policy of ["latest", "all", "skip"] as const) {
    const fire = planFire(everySecond(policy), now, 100)!;
    assert.equal(fire.expected, T);
    assert.equal(fire.next, T + 6_000);
  }
});

test("planFire() with missed all creates the latest 100 fire times at most", () => {
  const fire = planFire(everySecond("all"), T + 86_400_000, 100)!;
  assert.equal(fire.jobs.length, MISSED_CAP);
  assert.equal(fire.jobs[0].key, `schedule:tick:${T + 86_400_000 - 99_000}`);
  assert.equal(fire.jobs.at(-1)!.key, `schedule:tick:${T + 86_400_000}`);
  assert.equal(fire.next, T + 86_401_000);
});

test("planFire() of a cron schedule keys its job by the fire time in the time zone", () => {
  const record = buildSchedule(
    "nightly",
    { cron: "30 2 * * *", tz: "Europe/Berlin" },
    Date.UTC(2024, 2, 30, 12),
  );
  const fire = planFire(record, Date.UTC(2024, 2, 31, 1, 0, 0, 20), 1_000)!;
  assert.deepEqual(fire.jobs.map((job) => job.key), [
    `schedule:nightly:${Date.UTC(2024, 2, 31, 1)}`,
  ]);
  assert.equal(fire.next, Date.UTC(2024, 3, 1, 0, 30));
});
