/**
 * `deno task bench`: Kinetik's throughput per store on this machine, printed as a table.
 * `--jobs N` changes the job count (default 100,000), `--reps N` the repetitions (default 3,
 * median reported), `--stores memory,sqlite` the stores.
 * @module
 */

import { parseArgs } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import process from "node:process";
import { MemoryStore, type Store } from "../mod.ts";
import { benchCreateMany, benchProcess, type BenchRow, printTable } from "./_cases.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    jobs: { type: "string", default: "100000" },
    reps: { type: "string", default: "3" },
    stores: { type: "string", default: "memory,sqlite" },
  },
});
const jobs = Number(values.jobs);
const reps = Number(values.reps);

/** Runs a case `reps` times after one small warm-up run (JIT), and keeps the median. */
async function median(run: (jobs: number) => Promise<BenchRow>): Promise<BenchRow> {
  await run(Math.min(jobs, 10_000));
  const rows: BenchRow[] = [];
  for (let i = 0; i < reps; i++) rows.push(await run(jobs));
  rows.sort((a, b) => a.jobsPerSec - b.jobsPerSec);
  return rows[Math.floor(rows.length / 2)];
}

function sqliteOpener(): () => Promise<Store> {
  return async () => {
    const { SqliteStore } = await import("../stores/sqlite.ts");
    const path = join(tmpdir(), `kinetik-bench-${crypto.randomUUID()}.db`);
    const store = new SqliteStore({ path });
    const close = store.close.bind(store);
    store.close = async () => {
      await close();
      for (const suffix of ["", "-wal", "-shm"]) rmSync(path + suffix, { force: true });
    };
    return store;
  };
}

const openers: Record<string, () => Store | Promise<Store>> = {
  memory: () => new MemoryStore(),
  sqlite: sqliteOpener(),
};

const rows: BenchRow[] = [];
for (const name of values.stores.split(",")) {
  const open = openers[name];
  if (!open) {
    throw new TypeError(
      `Cannot bench store as it is unknown: current value is ${JSON.stringify(name)}`,
    );
  }
  rows.push(await median((n) => benchCreateMany(name, open, n)));
  rows.push(await median((n) => benchProcess(name, open, n, 1)));
  rows.push(await median((n) => benchProcess(name, open, n, 50)));
}
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
console.log(
  `Kinetik on ${runtime}, ${
    jobs.toLocaleString("en")
  } no-op jobs per case, median of ${reps} runs\n`,
);
printTable(rows);
