import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../src/manual_clock.ts";
import { firesBetween, nextFire } from "../src/schedules/next_fire.ts";

const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();
const berlin = { cron: "30 2 * * *", tz: "Europe/Berlin" };

/** Steps a ManualClock through `[start, end)` by `step`, collecting the fires of each step. */
function firesStepping(timing: typeof berlin, start: number, end: number, step: number) {
  const clock = new ManualClock(start);
  const fired: number[] = [];
  while (clock.now() < end) {
    const from = clock.now();
    clock.set(from + step);
    fired.push(...firesBetween(timing, from, clock.now(), 100));
  }
  return fired.map(iso);
}

test("nextFire() runs a daily 02:30 in Europe/Berlin at 03:00 once on the spring-forward day", () => {
  // 31 March 2024: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist.
  const fired = firesStepping(
    berlin,
    Date.UTC(2024, 2, 29, 12),
    Date.UTC(2024, 3, 1, 12),
    60_000,
  );
  assert.deepEqual(fired, [
    "2024-03-30T01:30:00.000Z", // 02:30 CET
    "2024-03-31T01:00:00.000Z", // 03:00 CEST, the first valid time after the gap
    "2024-04-01T00:30:00.000Z", // 02:30 CEST
  ]);
  assert.equal(iso(nextFire(berlin, Date.UTC(2024, 2, 30, 12))), "2024-03-31T01:00:00.000Z");
});

test("nextFire() runs a daily 02:30 in Europe/Berlin once on the fall-back day", () => {
  // 27 October 2024: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice.
  const fired = firesStepping(
    berlin,
    Date.UTC(2024, 9, 26, 12),
    Date.UTC(2024, 9, 28, 12),
    60_000,
  );
  assert.deepEqual(fired, [
    "2024-10-27T00:30:00.000Z", // the first 02:30 (CEST); the second one (01:30Z) is not run
    "2024-10-28T01:30:00.000Z", // 02:30 CET
  ]);
  assert.equal(iso(nextFire(berlin, Date.UTC(2024, 9, 27, 0, 30))), "2024-10-28T01:30:00.000Z");
});

test("nextFire() keeps an interval cron's rhythm through the repeated hour", () => {
  const halfHourly = { cron: "0,30 * * * *", tz: "Europe/Berlin" };
  const times = firesBetween(halfHourly, Date.UTC(2024, 9, 27, 0), Date.UTC(2024, 9, 27, 2), 100);
  assert.deepEqual(times.map(iso), [
    "2024-10-27T00:30:00.000Z", // 02:30 CEST
    "2024-10-27T01:00:00.000Z", // 02:00 CET
    "2024-10-27T01:30:00.000Z", // 02:30 CET
    "2024-10-27T02:00:00.000Z", // 03:00 CET
  ]);
});

test("nextFire() is strictly after the given time and reads seconds and time zones", () => {
  const minutely = { cron: "* * * * *", tz: "UTC" };
  assert.equal(iso(nextFire(minutely, Date.UTC(2024, 0, 1, 0, 1))), "2024-01-01T00:02:00.000Z");
  assert.equal(
    iso(nextFire(minutely, Date.UTC(2024, 0, 1, 0, 1, 59, 999))),
    "2024-01-01T00:02:00.000Z",
  );
  const everyTenSeconds = { cron: "*/10 * * * * *", tz: "UTC" };
  assert.equal(
    iso(nextFire(everyTenSeconds, Date.UTC(2024, 0, 1, 0, 0, 10))),
    "2024-01-01T00:00:20.000Z",
  );
  const nineInTokyo = { cron: "0 9 * * *", tz: "Asia/Tokyo" };
  assert.equal(
    iso(nextFire(nineInTokyo, Date.UTC(2023, 11, 31, 12))),
    "2024-01-01T00:00:00.000Z",
    "09:00 in Tokyo is midnight UTC",
  );
  assert.equal(iso(nextFire({ cron: "@daily", tz: "UTC" }, 1)), "1970-01-02T00:00:00.000Z");
  assert.equal(nextFire({ cron: "0 0 30 2 *", tz: "UTC" }, 0), undefined, "30 February");
});

test("nextFire() puts every's fire times at the multiples of its period", () => {
  const minute = { every: 60_000, tz: "UTC" };
  assert.equal(nextFire(minute, 0), 60_000);
  assert.equal(nextFire(minute, 59_999), 60_000);
  assert.equal(nextFire(minute, 60_000), 120_000, "strictly after");
  assert.equal(
    nextFire({ every: 7_000, tz: "Europe/Berlin" }, 1_700_000_000_001),
    1_700_000_001_000,
  );
});

test("firesBetween() returns (from, to] oldest first, capped to the latest ones", () => {
  const second = { every: 1_000, tz: "UTC" };
  assert.deepEqual(firesBetween(second, 1_000, 4_000, 100), [2_000, 3_000, 4_000]);
  assert.deepEqual(firesBetween(second, 999, 1_000, 100), [1_000]);
  assert.deepEqual(firesBetween(second, 1_000, 1_999, 100), []);
  assert.deepEqual(firesBetween(second, 0, 1_000_000_000, 3), [
    999_998_000,
    999_999_000,
    1_000_000_000,
  ]);
  assert.deepEqual(firesBetween(second, 5_000, 1_000, 10), [], "an empty range");

  const everySecond = { cron: "* * * * * *", tz: "UTC" };
  const week = 7 * 86_400_000;
  const start = Date.UTC(2024, 0, 1);
  const latest = firesBetween(everySecond, start, start + week, 100);
  assert.equal(latest.length, 100, "a week of seconds costs 100 steps");
  assert.equal(latest.at(-1), start + week);
  assert.equal(latest[0], start + week - 99_000);
  assert.deepEqual(
    firesBetween({ cron: "0 * * * *", tz: "UTC" }, start, start + 3 * 3_600_000 + 1, 100),
    [start + 3_600_000, start + 7_200_000, start + 10_800_000],
  );
});
