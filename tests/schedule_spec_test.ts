import assert from "node:assert/strict";
import { test } from "node:test";
import { buildSchedule, canonicalSpec, scheduleView } from "../src/schedules/schedule_spec.ts";

const NOW = Date.UTC(2024, 0, 1, 12, 0, 30);

test("buildSchedule() fills the defaults and computes next from now", () => {
  const record = buildSchedule("nightly report", { cron: "0 3 * * *" }, NOW);
  assert.deepEqual(record, {
    id: "nightly report",
    task: "nightly report",
    cron: "0 3 * * *",
    tz: "UTC",
    data: {},
    priority: 0,
    missed: "latest",
    next: Date.UTC(2024, 0, 2, 3),
    spec: canonicalSpec(record),
  });
  const every = buildSchedule("tick", { every: "1m", task: "beat", data: { n: 1 } }, NOW);
  assert.equal(every.every, 60_000);
  assert.equal(every.task, "beat");
  assert.equal(every.next, Date.UTC(2024, 0, 1, 12, 1));
  assert.equal(every.cron, undefined);
});

test("buildSchedule() gives one spec text for equal specs and another for any change", () => {
  const a = buildSchedule("s", { cron: "0  3 * * *", data: { a: 1, b: [2, { d: 1, c: 0 }] } }, NOW);
  const b = buildSchedule("s", { data: { b: [2, { c: 0, d: 1 }], a: 1 }, cron: "0 3 * * *" }, NOW);
  assert.equal(a.spec, b.spec, "key order and spacing do not matter");
  assert.equal(a.cron, "0 3 * * *");
  const changes = [
    { cron: "0 4 * * *" },
    { cron: "0 3 * * *", tz: "Europe/Berlin" },
    { cron: "0 3 * * *", priority: 1 },
    { cron: "0 3 * * *", missed: "all" as const },
    { cron: "0 3 * * *", task: "other" },
    { cron: "0 3 * * *", data: { a: 2 } },
    { every: "1h" },
  ];
  for (const spec of changes) {
    assert.notEqual(
      buildSchedule("s", spec, NOW).spec,
      buildSchedule("s", { cron: "0 3 * * *" }, NOW).spec,
    );
  }
  assert.notEqual(buildSchedule("t", { cron: "0 3 * * *" }, NOW).spec, a.spec, "the id counts");
  assert.equal(
    buildSchedule("s", { cron: "0 3 * * *" }, NOW).spec,
    buildSchedule("s", { cron: "0 3 * * *" }, NOW + 86_400_000).spec,
    "next is not part of the spec",
  );
});

test("buildSchedule() names time zones canonically", () => {
  const record = buildSchedule("s", { cron: "30 2 * * *", tz: "europe/berlin" }, NOW);
  assert.equal(record.tz, "Europe/Berlin");
  assert.equal(record.next, Date.UTC(2024, 0, 2, 1, 30), "02:30 CET");
});

test("buildSchedule() throws a TypeError or RangeError for a bad spec, naming the value", () => {
  const cases: [unknown, unknown, ErrorConstructor, RegExp][] = [
    [
      "",
      { every: "1m" },
      TypeError,
      /^Cannot schedule as its id must be a non-empty string: current value is ""$/,
    ],
    ["s", null, TypeError, /spec must be an object: current value is null/],
    ["s", {}, TypeError, /needs exactly one of cron and every: current value is \{\}$/],
    ["s", { cron: "* * * * *", every: 1_000 }, TypeError, /exactly one of cron and every/],
    [
      "s",
      { cron: "* * * *" },
      TypeError,
      /5 fields, or 6 with seconds first: current value is "\* \* \* \*"/,
    ],
    ["s", { cron: "* * * * * * *" }, TypeError, /5 fields/],
    [
      "s",
      { cron: "61 * * * *" },
      TypeError,
      /cron must be a valid expression \(.*minute.*\): current value is "61/,
    ],
    ["s", { cron: "2030-01-01T00:00:00" }, TypeError, /5 fields/],
    ["s", { cron: 5 }, TypeError, /cron must be a string: current value is 5/],
    ["s", { cron: "0 0 30 2 *" }, TypeError, /cron must fire at least once in the future/],
    [
      "s",
      { cron: "* * * * *", tz: "Mars/Olympus" },
      TypeError,
      /tz must be an IANA time zone name .*"Mars\/Olympus"/,
    ],
    ["s", { every: "soon" }, TypeError, /Cannot read every/],
    [
      "s",
      { every: 999 },
      RangeError,
      /^Cannot schedule as every must be at least 1s: current value is 999$/,
    ],
    [
      "s",
      { every: "1m", missed: "none" },
      TypeError,
      /missed must be "skip", "latest" or "all": current value is "none"/,
    ],
    [
      "s",
      { every: "1m", priority: 1.5 },
      RangeError,
      /priority must be an integer: current value is 1.5/,
    ],
    [
      "s",
      { every: "1m", data: { f: () => 1 } },
      TypeError,
      /data must be JSON-serialisable: data.f is a function/,
    ],
    ["a:b", { every: "1m" }, TypeError, /task name must be a non-empty string without ":"/],
    ["s", { every: "1m", task: "" }, TypeError, /task name/],
  ];
  for (const [id, spec, type, message] of cases) {
    assert.throws(() => buildSchedule(id, spec, NOW), (error: unknown) => {
      assert.ok(error instanceof type, `${JSON.stringify(spec)}: ${error}`);
      assert.match((error as Error).message, message);
      return true;
    });
  }
  assert.equal(buildSchedule("a:b", { every: "1m", task: "ab" }, NOW).id, "a:b");
});

test("scheduleView() shows what the record holds, without the spec text", () => {
  const record = buildSchedule("s", { every: "5s", data: [1], priority: -1, missed: "skip" }, NOW);
  assert.deepEqual(scheduleView(record), {
    id: "s",
    task: "s",
    every: 5_000,
    tz: "UTC",
    next: NOW + 5_000,
    data: [1],
    priority: -1,
    missed: "skip",
  });
});
