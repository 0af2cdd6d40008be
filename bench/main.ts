/**
 * `deno task bench`: Kinetik's throughput per store on this machine, printed as a table.
 * `--jobs N` changes the job count (default 100,000), `--reps N` the repetitions (default 3,
 * median reported), `--stores memory,sqlite` the stores. `--metrics off` runs with metrics
 * off; `--metrics both` runs every case with metrics on and off in turn (the order alternating
 * between repetitions) and prints both, to measure what counting costs.
 * @module
 */

import { parseArgs } from "node:util";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rmSync } from "node:fs";
import process from "node:process";
import { MemoryStore, type Store } from "../mod.ts";
import { benchCreateMany, benchProcess, type BenchRow, printTable } from "./_cases.ts";
import { withoutMetrics } from "./_metrics_switch.ts";

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    jobs: { type: "string", default: "100000" },
    reps: { type: "string", default: "3" },
    stores: { type: "string", default: "memory,sqlite" },
    metrics: { type: "string", default: "on" },
  },
});
const modes = values.metrics === "both" ? ["on", "off"] : [values.metrics];
if (!modes.every((mode) => mode === "on" || mode === "off")) {
  throw new TypeError(
    `Cannot bench as --metrics must be on, off or both: current value is ${values.metrics}`,
  );
}
const jobs = Number(values.jobs);
const reps = Number(values.reps);

/**
 * Runs a case `reps` times per metrics mode after one small warm-up run (JIT), the modes in
 * turn and their order alternating, and keeps each mode's median (of jobs/s, and of CPU µs per
 * job on its own).
 */
async function medians(
  name: string,
  open: () => Store | Promise<Store>,
  run: (open: () => Promise<Store>, jobs: number) => Promise<BenchRow>,
): Promise<BenchRow[]> {
  const opener = (mode: string) => async () => {
    const store = await open();
    return mode === "off" ? withoutMetrics(store) : store;
  };
  await run(opener(modes[0]), Math.min(jobs, 10_000));
  const runs = new Map<string, BenchRow[]>(modes.map((mode) => [mode, []]));
  for (let i = 0; i < reps; i++) {
    const order = i % 2 === 0 ? modes : [...modes].reverse();
    for (const mode of order) runs.get(mode)!.push(await run(opener(mode), jobs));
  }
  return modes.map((mode) => {
    const rows = runs.get(mode)!;
    const middle = (values: number[]) =>
      values.sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const byRate = [...rows].sort((a, b) =>
      a.jobsPerSec - b.jobsPerSec
    )[Math.floor(rows.length / 2)];
    const label = modes.length > 1 ? `${name} (metrics ${mode})` : name;
    return { ...byRate, store: label, cpuUsPerJob: middle(rows.map((r) => r.cpuUsPerJob)) };
  });
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
  rows.push(...await medians(name, open, (o, n) => benchCreateMany(name, o, n)));
  rows.push(...await medians(name, open, (o, n) => benchProcess(name, o, n, 1)));
  rows.push(...await medians(name, open, (o, n) => benchProcess(name, o, n, 50)));
}
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
console.log(
  `Kinetik on ${runtime}, ${
    jobs.toLocaleString("en")
  } no-op jobs per case, median of ${reps} runs (metrics ${values.metrics})\n`,
);
printTable(rows);
