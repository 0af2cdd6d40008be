import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik, MemoryStore } from "../mod.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { Queue } from "../src/queue.ts";
import type { Problem } from "../http/mod.ts";
import { jsonOf, serveApi, type TestApi } from "./_http.ts";

async function withApi(
  fn: (api: TestApi, queue: Queue) => Promise<void>,
  queue: Queue = kinetik(),
): Promise<void> {
  const api = await serveApi(queue);
  try {
    await fn(api, queue);
  } finally {
    await api.close();
    await queue.close();
  }
}

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

test("httpHandler() PUT /api/schedules/:id stores a schedule; GET lists it; DELETE removes it", () =>
  withApi(async (api, queue) => {
    const put = await api.call("/api/schedules/nightly-report", {
      method: "PUT",
      json: { cron: "30 2 * * *", tz: "Europe/Berlin", data: { full: true } },
    });
    const { schedule } = await jsonOf<{ schedule: { id: string; next: number } }>(put, 200);
    assert.deepEqual(schedule, JSON.parse(JSON.stringify((await queue.schedules())[0])));
    assert.equal(schedule.next, Date.UTC(2026, 0, 1, 1, 30), "02:30 in Berlin is 01:30 UTC");
    assert.deepEqual(await jsonOf(await api.call("/api/schedules"), 200), [schedule]);
    const removed = await api.call("/api/schedules/nightly-report", { method: "DELETE" });
    assert.equal(removed.status, 204);
    await removed.body?.cancel();
    assert.deepEqual(await queue.schedules(), []);
    const again = await jsonOf<Problem>(
      await api.call("/api/schedules/nightly-report", { method: "DELETE" }),
      404,
    );
    assert.equal(
      again.detail,
      'Cannot find schedule as there is none with this id: current value is "nightly-report"',
    );
  }, kinetik({ clock: new ManualClock(T0) })));

test("httpHandler() PUT /api/schedules/:id answers 400 with the library's message", () =>
  withApi(async (api, queue) => {
    const cases: [unknown, RegExp][] = [
      [{ cron: "every day" }, /cron/],
      [{ every: "1ms" }, /every/],
      [{ cron: "* * * * *", tz: "Mars/Olympus" }, /tz|time zone/],
      [{ cron: "* * * * *", colour: "red" }, /^Cannot schedule as the body may only have cron, /],
    ];
    for (const [spec, message] of cases) {
      const problem = await jsonOf<Problem>(
        await api.call("/api/schedules/s", { method: "PUT", json: spec }),
        400,
      );
      assert.match(problem.detail, message, JSON.stringify(spec));
    }
    assert.deepEqual(await queue.schedules(), []);
  }));

test("httpHandler() POST /api/pause and /api/resume change what GET /api/paused says", () =>
  withApi(async (api, queue) => {
    assert.deepEqual(await jsonOf(await api.call("/api/paused"), 200), { tags: [], tasks: [] });
    assert.deepEqual(await jsonOf(await api.call("/api/pause", { json: "media" }), 200), {
      tags: ["media"],
      tasks: [],
    });
    const both = await api.call("/api/pause", { json: { tasks: ["send email"] } });
    assert.deepEqual(await jsonOf(both, 200), { tags: ["media"], tasks: ["send email"] });
    assert.deepEqual(await queue.paused(), { tags: ["media"], tasks: ["send email"] });
    const resumed = await api.call("/api/resume", { json: { tags: "media" } });
    assert.deepEqual(await jsonOf(resumed, 200), { tags: [], tasks: ["send email"] });
    const problem = await jsonOf<Problem>(await api.call("/api/pause", { json: {} }), 400);
    assert.match(problem.detail, /^Cannot pause as the target names no tag or task/);
  }));

test("httpHandler() answers 501 to schedules and pauses on a store without them", async () => {
  const store = new MemoryStore();
  Object.assign(store, { pause: undefined, schedule: undefined });
  await withApi(async (api) => {
    const paused = await jsonOf<Problem>(await api.call("/api/paused"), 501);
    assert.equal(paused.detail, "Cannot read paused as the memory store does not support pausing");
    await jsonOf(await api.call("/api/schedules"), 501);
  }, kinetik(store));
});
