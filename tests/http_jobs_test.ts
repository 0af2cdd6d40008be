import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import type { Job } from "../src/job.ts";
import type { Queue } from "../src/queue.ts";
import type { Problem } from "../http/mod.ts";
import { jsonOf, serveApi, type TestApi } from "./_http.ts";

type Page = { jobs: Job[]; next?: string };

async function withApi(fn: (api: TestApi, queue: Queue) => Promise<void>): Promise<void> {
  const queue = kinetik();
  const api = await serveApi(queue);
  try {
    await fn(api, queue);
  } finally {
    await api.close();
    await queue.close();
  }
}

/** Follows `next` from `path` to the end; resolves to the `data.n` of every job, in order. */
async function walk(api: TestApi, path: string): Promise<number[]> {
  const seen: number[] = [];
  let url = path;
  for (let pages = 0; pages < 100; pages++) {
    const page = await jsonOf<Page>(await api.call(url), 200);
    seen.push(...page.jobs.map((job) => (job.data as { n: number }).n));
    if (page.next === undefined) return seen;
    url = `${path}${path.includes("?") ? "&" : "?"}cursor=${page.next}`;
  }
  throw new Error("more than 100 pages");
}

/** 12 jobs of three tasks: n = 0..11, task `t<n % 3>`, jobs 0, 4 and 8 cancelled. */
async function addJobs(queue: Queue): Promise<Job[]> {
  const jobs = await queue.createMany(
    Array.from({ length: 12 }, (_, n) => ({ task: `t${n % 3}`, data: { n } })),
  );
  for (const n of [0, 4, 8]) await queue.cancel(jobs[n].id);
  return jobs;
}

test("httpHandler() GET /api/jobs pages by cursor in creation order, next only when more", () =>
  withApi(async (api, queue) => {
    await addJobs(queue);
    const first = await jsonOf<Page>(await api.call("/api/jobs?limit=5"), 200);
    assert.equal(first.jobs.length, 5);
    assert.equal(typeof first.next, "string");
    assert.deepEqual(await walk(api, "/api/jobs?limit=5"), [...Array(12).keys()]);
    assert.deepEqual(await walk(api, "/api/jobs?limit=4"), [...Array(12).keys()]);
    const all = await jsonOf<Page>(await api.call("/api/jobs?limit=12"), 200);
    assert.equal(all.next, undefined, "no next when the page holds the last job");
    assert.deepEqual(await walk(api, "/api/jobs"), [...Array(12).keys()], "default limit 50");
  }));

test("httpHandler() GET /api/jobs?sort=-created pages newest first", () =>
  withApi(async (api, queue) => {
    await addJobs(queue);
    assert.deepEqual(
      await walk(api, "/api/jobs?sort=-created&limit=5"),
      [...Array(12).keys()].reverse(),
    );
  }));

test("httpHandler() GET /api/jobs filters by status, task, tag and query, combined", () =>
  withApi(async (api, queue) => {
    queue.define("t0").tag("even");
    queue.define("t2").tag("even");
    queue.define("t1").tag("odd");
    await addJobs(queue);
    assert.deepEqual(await walk(api, "/api/jobs?status=cancelled&limit=2"), [0, 4, 8]);
    assert.deepEqual(await walk(api, "/api/jobs?task=t1&limit=2"), [1, 4, 7, 10]);
    assert.deepEqual(await walk(api, "/api/jobs?task=t1,t2&status=queued&limit=3"), [
      1,
      2,
      5,
      7,
      10,
      11,
    ]);
    assert.deepEqual(await walk(api, "/api/jobs?tag=odd&limit=3"), [1, 4, 7, 10]);
    assert.deepEqual(await walk(api, "/api/jobs?tag=even&task=t1"), []);
    assert.deepEqual(await walk(api, "/api/jobs?tag=nobody"), []);
    const query = encodeURIComponent(JSON.stringify({ "data.n": { $gte: 6 } }));
    assert.deepEqual(await walk(api, `/api/jobs?query=${query}&status=queued&limit=2`), [
      6,
      7,
      9,
      10,
      11,
    ]);
    const withStatus = encodeURIComponent(JSON.stringify({ status: "cancelled" }));
    assert.deepEqual(await walk(api, `/api/jobs?query=${withStatus}&task=t0`), [0]);
  }));

test("httpHandler() GET /api/jobs keeps its place when jobs before the cursor go away", () =>
  withApi(async (api, queue) => {
    const jobs = await addJobs(queue);
    const first = await jsonOf<Page>(await api.call("/api/jobs?limit=6"), 200);
    await queue.clean({ status: "cancelled" }); // removes 0, 4 and 8
    await queue.createMany([{ task: "t0", data: { n: 12 } }]);
    const second = await jsonOf<Page>(
      await api.call(`/api/jobs?limit=6&cursor=${first.next}`),
      200,
    );
    assert.deepEqual(second.jobs.map((job) => (job.data as { n: number }).n), [
      6,
      7,
      9,
      10,
      11,
      12,
    ]);
    assert.equal(jobs.length, 12);
  }));

test("httpHandler() GET /api/jobs answers 400 for bad status, sort, limit, query or cursor", () =>
  withApi(async (api) => {
    const where = encodeURIComponent(JSON.stringify({ $where: "this.n > 1" }));
    const cases: [string, RegExp][] = [
      ["status=done", /^Cannot read status as it must be one of queued, delayed, processing, /],
      ["sort=priority", /^Cannot read sort as it must be one of created, -created: current value/],
      [
        "limit=0",
        /^Cannot read limit as it must be a whole number from 1 to 500: current value is "0"/,
      ],
      ["limit=501", /from 1 to 500/],
      ["limit=ten", /current value is "ten"/],
      ["query=%7Bnope", /^Cannot read query as it must be JSON/],
      ["query=%5B1%5D", /^Cannot read query as it must be a JSON object/],
      [`query=${where}`, /\$where/],
      ["cursor=bm9wZQ", /^Cannot read cursor as it must be the next cursor of a job list/],
      ["cursor=!!", /^Cannot read cursor/],
    ];
    for (const [search, message] of cases) {
      const problem = await jsonOf<Problem>(await api.call(`/api/jobs?${search}`), 400);
      assert.match(problem.detail, message, search);
    }
  }));

test("httpHandler() GET /api/jobs refuses a cursor made for the other order", () =>
  withApi(async (api, queue) => {
    await addJobs(queue);
    const page = await jsonOf<Page>(await api.call("/api/jobs?limit=2"), 200);
    const problem = await jsonOf<Problem>(
      await api.call(`/api/jobs?sort=-created&cursor=${page.next}`),
      400,
    );
    assert.match(
      problem.detail,
      /^Cannot read cursor as it was made for sort=created, not sort=-created/,
    );
  }));
