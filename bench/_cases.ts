/**
 * The benchmark cases, run against any store: bulk create, then drain no-op jobs at a given
 * concurrency. Each case opens a fresh store. @module
 */

import process from "node:process";
import { kinetik, type Store } from "../mod.ts";

/** One measured row. */
export interface BenchRow {
  store: string;
  case: string;
  jobs: number;
  seconds: number;
  jobsPerSec: number;
  /** CPU time (user + system) of this process per job, µs: steadier than wall time here. */
  cpuUsPerJob: number;
}

/** CPU time of this process so far, µs. */
export function cpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function row(store: string, name: string, jobs: number, ms: number, cpu: number): BenchRow {
  return {
    store,
    case: name,
    jobs,
    seconds: ms / 1000,
    jobsPerSec: Math.round(jobs / (ms / 1000)),
    cpuUsPerJob: cpu / jobs,
  };
}

/** `createMany` of `jobs` jobs in chunks of 10,000. */
export async function benchCreateMany(
  name: string,
  open: () => Store | Promise<Store>,
  jobs: number,
): Promise<BenchRow> {
  const queue = kinetik(await open());
  const specs = Array.from({ length: jobs }, (_, n) => ({ task: "noop", data: { n } }));
  const start = performance.now();
  const cpu = cpuUs();
  for (let i = 0; i < jobs; i += 10_000) await queue.createMany(specs.slice(i, i + 10_000));
  const ms = performance.now() - start;
  const used = cpuUs() - cpu;
  await queue.close();
  return row(name, "createMany", jobs, ms, used);
}

/**
 * Pre-enqueues `jobs` no-op jobs, then times one processor draining them. With `tags` above 1
 * the jobs are spread evenly over that many tasks, each with a tag of its own, and the
 * processor drains all those tags (the claim looks at each, in order).
 */
export async function benchProcess(
  name: string,
  open: () => Store | Promise<Store>,
  jobs: number,
  concurrency: number,
  tags = 1,
): Promise<BenchRow> {
  const queue = kinetik(await open(), { interval: "1m" });
  const tasks = tags === 1 ? ["noop"] : Array.from({ length: tags }, (_, t) => `noop${t}`);
  const specs = Array.from({ length: jobs }, (_, n) => ({
    task: tasks[n % tasks.length],
    data: { n },
  }));
  for (let i = 0; i < jobs; i += 10_000) await queue.createMany(specs.slice(i, i + 10_000));
  let completed = 0;
  const { promise: finished, resolve } = Promise.withResolvers<void>();
  for (const task of tasks) {
    queue.define(task).tag(tags === 1 ? "default" : `tag-${task}`).action(() => {}).on(
      "complete",
      () => {
        if (++completed === jobs) resolve();
      },
    );
  }
  const start = performance.now();
  const cpu = cpuUs();
  queue.process(tags === 1 ? "default" : tasks.map((task) => `tag-${task}`), { concurrency });
  await finished;
  const ms = performance.now() - start;
  const used = cpuUs() - cpu;
  await queue.close();
  const label = tags === 1 ? `process c${concurrency}` : `process c${concurrency}, ${tags} tags`;
  return row(name, label, jobs, ms, used);
}

/** Prints rows as an aligned table. */
export function printTable(rows: BenchRow[]): void {
  const header = ["store", "case", "jobs", "seconds", "jobs/s", "CPU µs/job"];
  const cells = rows.map((r) => [
    r.store,
    r.case,
    String(r.jobs),
    r.seconds.toFixed(3),
    r.jobsPerSec.toLocaleString("en"),
    r.cpuUsPerJob.toFixed(2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) =>
    c.map((v, i) => (i < 2 ? v.padEnd(widths[i]) : v.padStart(widths[i]))).join("  ");
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const c of cells) console.log(line(c));
}
