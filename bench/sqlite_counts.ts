/**
 * Where a SQLite job's time goes: seeds no-op jobs into a fresh file, drains them with one
 * processor, and counts every statement and transaction the store runs per job, with the
 * wall and CPU time spent inside SQLite calls, by statement (CPU time tells SQLite's own work
 * from waiting on a busy machine). Runs on Deno and Bun (`node:sqlite`).
 *
 * `deno run -A bench/sqlite_counts.ts [--jobs 20000] [--concurrency 1] [--case process|add]`
 * (or `bun bench/…`); `--case add` counts awaited single `create()` calls instead of draining
 * (enqueue-single); `--wal-pages` turns WAL checkpoints off and counts the WAL frames (pages
 * written) per job. Add Deno's `--cpu-prof` for a profile of the same run.
 * @module
 */

import { DatabaseSync, StatementSync } from "node:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { parseArgs } from "node:util";
import { kinetik } from "../mod.ts";
import { SqliteStore } from "../stores/sqlite.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    jobs: { type: "string", default: "20000" },
    concurrency: { type: "string", default: "1" },
    case: { type: "string", default: "process" },
    "wal-pages": { type: "boolean", default: false },
  },
});
const jobs = Number(values.jobs);
const concurrency = Number(values.concurrency);
const adding = values.case === "add";
const walPages = values["wal-pages"];

interface Tally {
  calls: number;
  /** Wall ms inside the calls. */
  ms: number;
  /** CPU µs (user + system) inside the calls. */
  cpu: number;
}
const tallies = new Map<string, Tally>();
let counting = false;
const shapes = new Map<string, string>();
/** Statement text reduced to its shape: whitespace folded, long SQL cut. */
function shape(sql: string): string {
  let text = shapes.get(sql);
  if (text === undefined) shapes.set(sql, text = sql.replace(/\s+/g, " ").trim().slice(0, 90));
  return text;
}

/** Runs one driver call, adding its wall and CPU time to the statement's tally. */
function timed<T>(sql: string, call: () => T): T {
  if (!counting) return call();
  const cpu = process.cpuUsage();
  const start = performance.now();
  try {
    return call();
  } finally {
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const key = shape(sql);
    const entry = tallies.get(key) ?? { calls: 0, ms: 0, cpu: 0 };
    entry.calls++;
    entry.ms += ms;
    entry.cpu += used.user + used.system;
    tallies.set(key, entry);
  }
}

// Wraps the driver's entry points once, before the store opens its file.
for (const method of ["run", "get", "all", "iterate"] as const) {
  const original = StatementSync.prototype[method] as (...args: unknown[]) => unknown;
  Object.defineProperty(StatementSync.prototype, method, {
    value(this: StatementSync, ...args: unknown[]) {
      return timed(this.sourceSQL, () => original.apply(this, args));
    },
  });
}
const exec = DatabaseSync.prototype.exec;
const unchecked = new WeakSet<DatabaseSync>();
DatabaseSync.prototype.exec = function (this: DatabaseSync, sql: string) {
  // Without checkpoints the WAL only grows, so its size tells the frames written.
  if (walPages && !unchecked.has(this)) {
    unchecked.add(this);
    exec.call(this, "PRAGMA wal_autocheckpoint = 0");
  }
  return timed(sql, () => exec.call(this, sql));
};
/** WAL frames so far: a 32-byte header, then 24 bytes and a 4,096-byte page per frame. */
function walFrames(): number {
  try {
    return (statSync(join(dir, "jobs.db-wal")).size - 32) / (24 + 4096);
  } catch {
    return 0;
  }
}

const dir = mkdtempSync(join(tmpdir(), "kinetik-sqlite-counts-"));
const queue = kinetik(new SqliteStore({ path: join(dir, "jobs.db") }), { interval: "10s" });
try {
  const specs = Array.from({ length: jobs }, (_, i) => ({
    task: "bench",
    data: { i, to: `user${i}@example.com`, template: "welcome", locale: "en" },
  }));
  let completed = 0;
  const { promise: finished, resolve } = Promise.withResolvers<void>();
  queue.define("bench").action(() => {}).on("complete", () => {
    if (++completed === jobs) resolve();
  });
  if (!adding) {
    for (let i = 0; i < jobs; i += 10_000) await queue.createMany(specs.slice(i, i + 10_000));
  } else await queue.create("bench", { warm: true }); // the file and the statements exist
  const frames = walFrames();
  const cpu = process.cpuUsage();
  const start = performance.now();
  counting = true;
  if (adding) {
    for (const { data } of specs) await queue.create("bench", data);
  } else {
    queue.process("default", { concurrency });
    await finished;
  }
  counting = false;
  const ms = performance.now() - start;
  const pages = walPages ? `, ${((walFrames() - frames) / jobs).toFixed(2)} WAL pages per job` : "";
  const used = process.cpuUsage(cpu);
  const inSqlite = [...tallies.values()].reduce((sum, t) => sum + t.ms, 0);
  const cpuInSqlite = [...tallies.values()].reduce((sum, t) => sum + t.cpu, 0);
  const commits = tallies.get("COMMIT")?.calls ?? 0;
  const statements = [...tallies.entries()].filter(([sql]) => !/^(BEGIN|COMMIT)/.test(sql))
    .reduce((sum, [, t]) => sum + t.calls, 0);
  const runtime = "Bun" in globalThis ? "bun" : "deno";
  console.log(
    `${runtime}, ${jobs} jobs ${adding ? "added one by one" : `at concurrency ${concurrency}`}: ${
      Math.round(jobs / (ms / 1000))
    } jobs/s, ${((used.user + used.system) / jobs).toFixed(0)} µs CPU/job, of which ${
      (cpuInSqlite / jobs).toFixed(0)
    } inside SQLite calls (${(inSqlite * 1000 / jobs).toFixed(0)} µs wall); ${
      (commits / jobs).toFixed(2)
    } transactions and ${(statements / jobs).toFixed(2)} statements per job${pages}\n`,
  );
  console.log("calls/job  CPU µs/call  CPU µs/job  wall µs/job  statement");
  const rows = [...tallies.entries()].sort((a, b) => b[1].cpu - a[1].cpu);
  for (const [sql, t] of rows) {
    const cells = [
      (t.calls / jobs).toFixed(3).padStart(9),
      (t.cpu / t.calls).toFixed(1).padStart(11),
      (t.cpu / jobs).toFixed(1).padStart(10),
      (t.ms * 1000 / jobs).toFixed(1).padStart(11),
    ];
    console.log(`${cells.join("  ")}  ${sql}`);
  }
} finally {
  await queue.close();
  rmSync(dir, { recursive: true, force: true });
}
