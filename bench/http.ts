/**
 * `deno task bench:http`: the HTTP API on this machine.
 *
 * 1. Requests/s of `POST /api/jobs` (one job per request, a wrk Lua script) and
 *    `GET /api/jobs?limit=50`, with keep-alive, from Debian's `wrk`, per store; plus
 *    `GET /api/stats` through `httpHandler` (Hono) and through a bare `switch` on the path,
 *    the measurement behind the choice of router.
 * 2. The latency of a page of 50 at `--jobs` jobs (default 1,000,000) on SQLite and Redis:
 *    sequential keep-alive `fetch`es of `GET /api/jobs` with status, task and tag filters in
 *    both orders, following `next` cursors and jumping to cursors deep in the list; p50, p99
 *    and max per filter.
 *
 * `--stores memory,sqlite,redis` picks the stores, `--duration 10s` each wrk run, `--jobs N`
 * the list size, `--skip-list` / `--skip-wrk` a part. It starts its own redis-server. Writes
 * Markdown tables to stdout. @module
 */

import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { kinetik, MemoryStore, type Queue, type Store } from "../mod.ts";
import { httpHandler } from "../http/mod.ts";
import { encodeCursor } from "../http/_cursor.ts";
import { listen } from "../http/_server.ts";
import { BenchRedis } from "./peers/_redis.ts";
import { FILL_TASKS, fillStore } from "./_fill.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    stores: { type: "string", default: "memory,sqlite,redis" },
    duration: { type: "string", default: "10s" },
    connections: { type: "string", default: "32" },
    jobs: { type: "string", default: "1000000" },
    "skip-list": { type: "boolean", default: false },
    "skip-wrk": { type: "boolean", default: false },
  },
});
const names = values.stores.split(",");
const JOBS = Number(values.jobs);
const here = new URL(".", import.meta.url).pathname;
let redis: BenchRedis | undefined;

async function openBenchStore(name: string, fresh: string): Promise<Store> {
  if (name === "memory") return new MemoryStore();
  if (name === "sqlite") {
    const { SqliteStore } = await import("../stores/sqlite.ts");
    const path = join(tmpdir(), `kinetik-bench-http-${fresh}.db`);
    const store = new SqliteStore({ path });
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    };
    return store;
  }
  if (name === "redis") {
    const { RedisStore } = await import("../stores/redis.ts");
    redis ??= await BenchRedis.start();
    return new RedisStore({ url: redis.url, prefix: `bench-http-${fresh}` });
  }
  throw new TypeError(`Cannot bench store as it is unknown: current value is ${name}`);
}

/** Serves `handler` on a free port; resolves to its origin and a stop function. */
async function serve(handler: (request: Request) => Promise<Response>) {
  const server = await listen(handler, { hostname: "127.0.0.1", port: 0 });
  return { origin: server.url.origin, stop: () => server.shutdown(1_000) };
}

interface WrkResult {
  rps: number;
  p50: string;
  p99: string;
}

/**
 * Runs wrk against `url` (with the POST script when `post`) and reads its summary. Async: the
 * server under test runs in this process.
 */
async function wrk(url: string, post: boolean): Promise<WrkResult> {
  const args = ["-t2", `-c${values.connections}`, `-d${values.duration}`, "--latency"];
  if (post) args.push("-s", join(here, "http_post.lua"));
  const run = await promisify(execFile)("wrk", [...args, url], { encoding: "utf8" }).catch(
    (error: Error) => {
      throw new Error(`wrk did not run (apt-get install wrk): ${error.message}`);
    },
  );
  const text = run.stdout;
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const errors = /Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1];
  if (!rps || errors) throw new Error(`wrk failed:\n${text}\n${run.stderr}`);
  const percentile = (p: string) => new RegExp(`\\s${p}%\\s+(\\S+)`).exec(text)?.[1] ?? "?";
  return { rps: Math.round(rps), p50: percentile("50"), p99: percentile("99") };
}

async function throughput(): Promise<void> {
  console.log(
    `\n## Requests/s (wrk -t2 -c${values.connections} -d${values.duration}, keep-alive)\n`,
  );
  console.log("| store | request | requests/s | p50 | p99 |\n|---|---|---:|---:|---:|");
  for (const name of names) {
    const queue = kinetik(await openBenchStore(name, `wrk-${name}-${Date.now()}`));
    const server = await serve(httpHandler(queue));
    try {
      const post = await wrk(`${server.origin}/api/jobs`, true);
      console.log(
        `| ${name} | POST /api/jobs (one job) | ${post.rps} | ${post.p50} | ${post.p99} |`,
      );
      const list = await wrk(`${server.origin}/api/jobs?limit=50`, false);
      console.log(`| ${name} | GET /api/jobs?limit=50 | ${list.rps} | ${list.p50} | ${list.p99} |`);
      if (name === "memory") {
        const stats = await wrk(`${server.origin}/api/stats`, false);
        console.log(
          `| ${name} | GET /api/stats (Hono) | ${stats.rps} | ${stats.p50} | ${stats.p99} |`,
        );
        const bare = await serve(async (request) =>
          new URL(request.url).pathname === "/api/stats"
            ? Response.json(await queue.stats())
            : new Response("not found", { status: 404 })
        );
        const direct = await wrk(`${bare.origin}/api/stats`, false);
        console.log(
          `| ${name} | GET /api/stats (bare switch) | ${direct.rps} | ${direct.p50} | ${direct.p99} |`,
        );
        await bare.stop();
      }
    } finally {
      await server.stop();
      await queue.close();
    }
  }
}

/** The filters of the list latency cases. */
const LIST_CASES: [string, string][] = [
  ["none", ""],
  ["status=failed (10%)", "status=failed"],
  ["status=queued (10%)", "status=queued"],
  ["task=task-3 (10%)", "task=task-3"],
  ["tag=media (5 tasks)", "tag=media"],
  ["status=completed&task=task-4", "status=completed&task=task-4"],
  ["status=failed,queued&tag=media", "status=failed,queued&tag=media"],
];

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
}

async function listLatency(queue: Queue, origin: string, name: string): Promise<number[]> {
  const all: number[] = [];
  console.log(`\n### ${name}, ${JOBS.toLocaleString("en")} jobs: a page of 50\n`);
  console.log(
    "| filter | sort | requests | p50 ms | p99 ms | max ms |\n|---|---|---:|---:|---:|---:|",
  );
  for (const [label, filter] of LIST_CASES) {
    for (const sort of ["created", "-created"] as const) {
      const times: number[] = [];
      let cursor: string | undefined;
      for (let i = 0; i < 100; i++) {
        if (i % 20 === 10) {
          // A jump deep into the list: the cursor of a random job.
          const job = await queue.get(String(1 + Math.floor(Math.random() * JOBS)));
          cursor = job && encodeCursor(sort, job);
        }
        const url = `${origin}/api/jobs?limit=50&sort=${sort}${filter ? `&${filter}` : ""}${
          cursor ? `&cursor=${cursor}` : ""
        }`;
        const start = performance.now();
        const response = await fetch(url);
        const page = await response.json() as { jobs: unknown[]; next?: string };
        times.push(performance.now() - start);
        if (response.status !== 200) throw new Error(JSON.stringify(page));
        cursor = page.next;
      }
      times.sort((a, b) => a - b);
      all.push(...times);
      const ms = (n: number) => n.toFixed(1);
      console.log(
        `| ${label} | ${sort} | ${times.length} | ${ms(percentile(times, 0.5))} | ${
          ms(percentile(times, 0.99))
        } | ${ms(times.at(-1)!)} |`,
      );
    }
  }
  return all.sort((a, b) => a - b);
}

async function lists(): Promise<void> {
  console.log(
    `\n## List latency at ${JOBS.toLocaleString("en")} jobs (sequential fetch, keep-alive)`,
  );
  for (const name of names.filter((n) => n !== "memory")) {
    const queue = kinetik(await openBenchStore(name, `list-${name}-${Date.now()}`));
    // Tags come from the workers' records, as in production: one worker of every task.
    await queue.store.heartbeat?.({
      id: "bench:1:tags",
      tags: ["mail", "media"],
      tasks: FILL_TASKS.map((task, n) => ({ name: task, tag: n % 2 ? "media" : "mail" })),
      started: Date.now(),
      seen: Date.now(),
    }, 86_400_000);
    const started = performance.now();
    await fillStore(queue.store, JOBS, {
      progress: (done) => {
        if (done % 100_000 === 0) console.error(`${name}: ${done} jobs filled`);
      },
    });
    console.error(`${name}: filled in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    const server = await serve(httpHandler(queue));
    try {
      const times = await listLatency(queue, server.origin, name);
      console.log(
        `\n${name}: all ${times.length} pages p50 ${percentile(times, 0.5).toFixed(1)} ms, p99 ${
          percentile(times, 0.99).toFixed(1)
        } ms`,
      );
    } finally {
      await server.stop();
      await queue.close();
    }
  }
}

const runtime = "Bun" in globalThis ? "bun" : `deno ${Deno.version.deno}`;
console.log(`# Kinetik HTTP API on ${runtime}, ${new Date().toISOString()}`);
try {
  if (!values["skip-wrk"]) await throughput();
  if (!values["skip-list"]) await lists();
} finally {
  await redis?.stop();
}
process.exit(0);
