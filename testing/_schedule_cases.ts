/**
 * Conformance cases for schedules: `schedule`, `unschedule` and `schedules` (group
 * `schedule`), and the compare-and-set `fire` (group `fire`), including two connections
 * firing one fire time at once. A store treats `spec` as opaque text: the cases build records
 * by hand. @module
 */

import assert from "node:assert/strict";
import type { NewJob, ScheduleFire, ScheduleRecord, Store } from "../src/store.ts";
import { expectMessage, handshake } from "./_capability_cases.ts";
import type { StoreCase } from "./_helpers.ts";
import { assertFields, claimOne, ids, newJob, plain, T0 } from "./_helpers.ts";

/** A schedule record as the core builds one; `fields` override the defaults. */
function record(id: string, fields: Partial<ScheduleRecord> = {}): ScheduleRecord {
  return {
    id,
    task: "tick",
    every: 60_000,
    tz: "UTC",
    data: { report: id, nested: { list: [1, "two", null] } },
    priority: 0,
    missed: "latest",
    next: T0 + 60_000,
    spec: `spec of ${id} v1`,
    ...fields,
  };
}

/** The job the core creates for a fire time, keyed as the core keys it. */
function firedJob(id: string, time: number, fields: Partial<NewJob> = {}): NewJob {
  return newJob("tick", {
    key: `schedule:${id}:${time}`,
    data: { report: id },
    created: time + 5,
    log: { time: time + 5, message: `Created by schedule ${id}` },
    ...fields,
  });
}

/** The fire of `schedule`'s `next`, moving it by a minute. */
function fireOf(schedule: ScheduleRecord, jobs?: NewJob[]): ScheduleFire {
  return {
    id: schedule.id,
    spec: schedule.spec,
    expected: schedule.next,
    next: schedule.next + 60_000,
    jobs: jobs ?? [firedJob(schedule.id, schedule.next)],
  };
}

function assertHasSchedules(store: Store, what: string): void {
  for (const verb of ["schedule", "unschedule", "schedules", "fire"] as const) {
    assert.equal(
      typeof store[verb],
      "function",
      `${verb}() is missing: implement it or skip "${what}" with a reason`,
    );
  }
}

async function stored(store: Store, id: string): Promise<ScheduleRecord | undefined> {
  return (await store.schedules!()).find((schedule) => schedule.id === id);
}

/** The `schedule` and `fire` cases. */
export const scheduleCases: StoreCase[] = [
  {
    name: "schedule: stores new schedules as given and lists them by id",
    async run(store) {
      assertHasSchedules(store, "schedule");
      assert.deepEqual(await store.schedules!(), []);
      const nightly = record("nightly", {
        cron: "30 2 * * *",
        every: undefined,
        tz: "Europe/Berlin",
        priority: -3,
        missed: "all",
        next: T0 + 3_600_123,
      });
      const tick = record("tick", { missed: "skip" });
      const beat = record("beat", { data: [], task: "heart beat", next: T0 + 1 });
      for (const schedule of [nightly, tick, beat]) {
        assert.deepEqual(plain(await store.schedule!(schedule)), plain(schedule));
      }
      assert.deepEqual(plain(await store.schedules!()), plain([beat, nightly, tick]));
    },
  },
  {
    name: "schedule: keeps the stored schedule and its next when the spec is unchanged",
    async run(store) {
      assertHasSchedules(store, "schedule");
      const first = record("daily", { next: T0 + 1_000 });
      await store.schedule!(first);
      // Another process starting a little later computes a later next from the same spec.
      const again = await store.schedule!({ ...first, next: T0 + 61_000 });
      assert.deepEqual(plain(again), plain(first), "the stored schedule is returned");
      assert.deepEqual(plain(await store.schedules!()), [plain(first)]);
    },
  },
  {
    name: "schedule: replaces a schedule whose spec changed",
    async run(store) {
      assertHasSchedules(store, "schedule");
      await store.schedule!(record("daily", { next: T0 + 1_000 }));
      const changed = record("daily", {
        every: undefined,
        cron: "0 3 * * *",
        data: { v: 2 },
        priority: 5,
        missed: "skip",
        next: T0 + 7_000,
        spec: "spec of daily v2",
      });
      assert.deepEqual(plain(await store.schedule!(changed)), plain(changed));
      assert.deepEqual(plain(await store.schedules!()), [plain(changed)]);
    },
  },
  {
    name: "schedule: keeps its own copies of what it is given and returns",
    async run(store) {
      assertHasSchedules(store, "schedule");
      const given = record("copy");
      const returned = await store.schedule!(given);
      (given.data as { report: string }).report = "changed by the caller";
      given.next = 0;
      (returned.data as { report: string }).report = "changed again";
      const [listed] = await store.schedules!();
      assert.deepEqual(plain(listed), plain(record("copy")));
      (listed.data as { nested: unknown }).nested = null;
      assert.deepEqual(plain(await stored(store, "copy")), plain(record("copy")));
    },
  },
  {
    name: "schedule: stores one schedule when connections save the same spec at once",
    async run(store, { peer }) {
      assertHasSchedules(store, "schedule");
      const other = await peer();
      // Every worker calls schedule() at start-up, each with the next it computed itself.
      const results = await Promise.all(
        Array.from(
          { length: 12 },
          (_, i) => (i % 2 ? other : store).schedule!(record("shared", { next: T0 + i })),
        ),
      );
      const winner = results[0].next;
      assert.ok(winner >= T0 && winner < T0 + 12, `a next one of the callers gave: ${winner}`);
      for (const result of results) assert.equal(result.next, winner, "every call sees the winner");
      assert.deepEqual(plain(await other.schedules!()), [
        plain(record("shared", { next: winner })),
      ]);
    },
  },
  {
    name: "schedule: unschedule deletes one schedule and says whether there was one",
    async run(store) {
      assertHasSchedules(store, "schedule");
      await store.schedule!(record("a"));
      await store.schedule!(record("b"));
      assert.equal(await store.unschedule!("a"), true);
      assert.equal(await store.unschedule!("a"), false, "already gone");
      assert.equal(await store.unschedule!("never"), false);
      assert.deepEqual((await store.schedules!()).map((s) => s.id), ["b"]);
      assert.equal(await store.fire!(fireOf(record("a"))), undefined, "a deleted one never fires");
      assert.equal(await store.count({}), 0);
    },
  },
  {
    name: "fire: adds the jobs and moves next while spec and next are as expected",
    async run(store) {
      assertHasSchedules(store, "fire");
      const schedule = record("tick", { priority: 2 });
      await store.schedule!(schedule);
      const jobs = [
        firedJob("tick", T0 + 60_000, { priority: 2, data: { at: 1 } }),
        firedJob("tick", T0 + 120_000, { priority: 2, data: { at: 2 } }),
      ];
      const saved = await store.fire!({ ...fireOf(schedule, jobs), next: T0 + 180_000 });
      assert.ok(saved, "the fire happened");
      assert.equal(saved.length, 2);
      for (const [i, job] of saved.entries()) {
        assertFields(job, {
          task: "tick",
          status: "queued",
          data: { at: i + 1 },
          priority: 2,
          created: jobs[i].created,
          key: jobs[i].key,
          attempts: 0,
        }, `fired job ${i}`);
        assert.deepEqual(plain(await store.get(job.id)), plain(job));
        assert.deepEqual(plain(await store.logs(job.id)), [jobs[i].log]);
      }
      assert.equal((await stored(store, "tick"))?.next, T0 + 180_000);
      const leased = await claimOne(store, "tick", { now: T0 + 60_010 });
      assert.equal(leased.id, saved[0].id, "fired jobs are ready at once, in order");
    },
  },
  {
    name: "fire: writes nothing when next, spec or the schedule itself is not as expected",
    async run(store) {
      assertHasSchedules(store, "fire");
      const schedule = record("tick");
      await store.schedule!(schedule);
      const refused: ScheduleFire[] = [
        { ...fireOf(schedule), expected: schedule.next - 1 },
        { ...fireOf(schedule), expected: schedule.next + 60_000 },
        { ...fireOf(schedule), spec: "spec of tick v0" },
        { ...fireOf(schedule), id: "unknown" },
      ];
      for (const fire of refused) {
        assert.equal(await store.fire!(fire), undefined, JSON.stringify(fire).slice(0, 80));
      }
      assert.equal(await store.count({}), 0, "no job was added");
      assert.deepEqual(plain(await stored(store, "tick")), plain(schedule), "next did not move");
      assert.deepEqual(await store.stats(), {});
    },
  },
  {
    name: "fire: exactly one of several fires of one fire time wins, across connections",
    async run(store, { peer }) {
      assertHasSchedules(store, "fire");
      const other = await peer();
      let next = T0 + 60_000;
      await store.schedule!(record("race", { next }));
      for (let round = 0; round < 10; round++) {
        // Every contender computed the same fire; each tags its job's data to show who wrote.
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) =>
            (i % 2 ? other : store).fire!({
              id: "race",
              spec: "spec of race v1",
              expected: next,
              next: next + 60_000,
              jobs: [firedJob("race", next, { data: { by: i } })],
            })),
        );
        const winners = results.flatMap((jobs, i) => jobs ? [i] : []);
        assert.equal(winners.length, 1, `round ${round}: winners ${winners}`);
        const mine = await store.find({ key: `schedule:race:${next}` }, { offset: 0, limit: 10 });
        assert.equal(mine.length, 1, `round ${round}: one job for the fire time`);
        assert.deepEqual(mine[0].data, { by: winners[0] }, "the job is the winner's");
        next += 60_000;
        assert.equal((await stored(other, "race"))?.next, next);
      }
      assert.equal(await store.count({ task: "tick" }), 10, "one job per fire time, no more");
    },
  },
  {
    name: "fire: returns the unfinished job that holds a key and still moves next",
    async run(store) {
      assertHasSchedules(store, "fire");
      const schedule = record("tick");
      await store.schedule!(schedule);
      const [held] = await store.add([firedJob("tick", schedule.next, { data: "first" })]);
      const saved = await store.fire!(fireOf(schedule));
      assert.deepEqual(ids(saved ?? []), [held.id], "the key holder comes back");
      assert.equal(await store.count({}), 1);
      assert.equal((await stored(store, "tick"))?.next, schedule.next + 60_000);
    },
  },
  {
    name: "fire: saves a hundred missed fire times in order",
    async run(store) {
      assertHasSchedules(store, "fire");
      const schedule = record("all", { missed: "all", every: 1_000, next: T0 + 1_000 });
      await store.schedule!(schedule);
      const jobs = Array.from({ length: 100 }, (_, i) => firedJob("all", T0 + 1_000 * (i + 1)));
      const saved = await store.fire!({ ...fireOf(schedule, jobs), next: T0 + 101_000 });
      assert.deepEqual(saved?.map((job) => job.key), jobs.map((job) => job.key));
      assert.equal(new Set(ids(saved ?? [])).size, 100);
      assert.equal(await store.count({ status: "queued" }), 100);
    },
  },
  {
    name: "fire: wakes subscribers of the task of the jobs it adds",
    async run(store) {
      assertHasSchedules(store, "fire");
      if (!store.subscribe) return; // nothing to wake on a store without messages
      const schedule = record("tick");
      await store.schedule!(schedule);
      const controller = new AbortController();
      const reader = store.subscribe(controller.signal).getReader();
      try {
        await handshake(store, reader);
        await store.fire!(fireOf(schedule));
        await expectMessage(reader, (m) => m.type === "wake" && m.task === "tick", "wake on fire");
      } finally {
        controller.abort();
        reader.releaseLock();
      }
    },
  },
];
