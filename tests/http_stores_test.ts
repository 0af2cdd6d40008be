import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { kinetik, openStore } from "../mod.ts";
import type { QueueEvent } from "../src/events.ts";
import type { Job } from "../src/job.ts";
import type { WorkerRecord } from "../src/store.ts";
import { spawnChild } from "./_cli_process.ts";
import { jsonOf, serveApi, SseReader } from "./_http.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-http-stores-"));
const redis = await redisServer();
const redisSkip = unavailable(
  "the HTTP API tests on Redis",
  typeof redis === "string" ? redis : undefined,
);
after(async () => {
  if (typeof redis !== "string") await redis.dispose();
  rmSync(dir, { recursive: true, force: true });
});

let stores = 0;
const STORES: { name: string; url: () => string; skip?: string }[] = [
  { name: "SQLite", url: () => `sqlite:${join(dir, `api-${++stores}.db`)}` },
  {
    name: "Redis",
    url: () => `${typeof redis === "string" ? "" : redis.url}?prefix=api-${++stores}`,
    skip: redisSkip,
  },
];

type Page = { jobs: Job[]; next?: string };

/** `tests/fixtures/steps_worker.ts` on `url`, as another process of this runtime. */
function workerProcess(url: string) {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  const script = new URL("./fixtures/steps_worker.ts", import.meta.url).pathname;
  return spawnChild(process.execPath, [...isBun ? [] : ["run", "-A"], script, url]);
}

for (const store of STORES) {
  test(`httpHandler() on ${store.name} pages 120 jobs by cursor, filtered, both ways`, {
    skip: store.skip,
  }, async () => {
    const queue = kinetik(await openStore(store.url()));
    const api = await serveApi(queue);
    try {
      const specs = Array.from({ length: 120 }, (_, n) => ({ task: `t${n % 3}`, data: { n } }));
      for (let i = 0; i < specs.length; i += 40) {
        await jsonOf(await api.call("/api/jobs", { json: specs.slice(i, i + 40) }), 201);
      }
      const listed = await queue.fetch({}, { limit: 30 });
      for await (const job of listed) {
        if ((job.data as { n: number }).n % 4 === 0) await queue.cancel(job.id);
      }
      const walk = async (search: string) => {
        const seen: number[] = [];
        let cursor = "";
        for (let pages = 0; pages < 100; pages++) {
          const page = await jsonOf<Page>(await api.call(`/api/jobs?${search}${cursor}`), 200);
          seen.push(...page.jobs.map((job) => (job.data as { n: number }).n));
          if (!page.next) return seen;
          cursor = `&cursor=${page.next}`;
        }
        throw new Error("more than 100 pages");
      };
      const all = [...Array(120).keys()];
      assert.deepEqual(await walk("limit=7"), all);
      assert.deepEqual(await walk("limit=11&sort=-created"), [...all].reverse());
      assert.deepEqual(await walk("limit=4&task=t1"), all.filter((n) => n % 3 === 1));
      const cancelled = all.filter((n) => n < 30 && n % 4 === 0);
      assert.deepEqual(await walk("limit=3&status=cancelled"), cancelled);
      assert.deepEqual(
        await walk("limit=5&status=queued&task=t0,t2&sort=-created"),
        all.filter((n) => n % 3 !== 1 && !cancelled.includes(n)).reverse(),
      );
      const query = encodeURIComponent(JSON.stringify({ "data.n": { $gte: 100 } }));
      assert.deepEqual(await walk(`limit=6&query=${query}`), all.slice(100));
    } finally {
      await api.close();
      await queue.close();
    }
  });

  test(`httpHandler() on ${store.name} serves the API in one process, workers in another`, {
    skip: store.skip,
    timeout: 60_000,
  }, async () => {
    const url = store.url();
    const worker = workerProcess(url);
    const queue = kinetik(await openStore(url));
    const api = await serveApi(queue, { token: "t" });
    try {
      await worker.printed("ready ");
      const events = await api.call("/api/events?task=steps", { token: "t" });
      const reader = new SseReader(events);
      assert.deepEqual(await reader.next(), { comment: "connected" });
      const created = await api.call("/api/jobs", {
        json: { task: "steps", data: { lines: 2, pause: 1 } },
        token: "t",
      });
      const { job } = await jsonOf<{ job: Job }>(created, 201);
      const seen: string[] = [];
      for (;;) {
        const { event, data } = await reader.nextEvent(undefined, 20_000);
        assert.equal((data as QueueEvent).job.id, job.id);
        seen.push(event);
        if (event === "completed") break;
      }
      // Events of the worker process reach the API process's stream through the store.
      assert.deepEqual(seen, [
        "created",
        "started",
        "log",
        "progress",
        "log",
        "progress",
        "completed",
      ]);
      const record = await jsonOf<Job>(await api.call(`/api/jobs/${job.id}`, { token: "t" }), 200);
      assert.equal(record.status, "completed");
      const logs = await jsonOf<{ message: string }[]>(
        await api.call(`/api/jobs/${job.id}/logs`, { token: "t" }),
        200,
      );
      assert.deepEqual(logs.map((line) => line.message).filter((m) => m.startsWith("step")), [
        "step 1",
        "step 2",
      ]);
      const workers = await jsonOf<WorkerRecord[]>(
        await api.call("/api/workers", { token: "t" }),
        200,
      );
      assert.equal(workers.length, 1);
      assert.equal(workers[0].pid, worker.pid);
      const tagged = await jsonOf<Page>(await api.call("/api/jobs?tag=steps", { token: "t" }), 200);
      assert.deepEqual(tagged.jobs.map((j) => j.id), [job.id], "tag resolved from the worker");
      await reader.cancel();
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
      await api.close();
      await queue.close();
    }
  });
}
