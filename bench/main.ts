/**
 * `deno task bench`: Kinetik's throughput per store on this machine, printed as a table.
 * `--jobs N` changes the job count (default 100,000), `--reps N` the repetitions (default 3,
 * median reported), `--stores memory,sqlite,redis` the stores (default memory and SQLite;
 * redis starts a private `redis-server`), `--cases createMany,process-c1,process-c50,multi-tag`
 * the cases.
 *
 * `multi-tag` drains the same backlog at `--tag-concurrency` (default 50) from one tag and
 * spread evenly over `--tags` (default 4) tags that one processor drains together, the two in
 * turns, and prints the second rate as a share of the first (at concurrency 50 its one-tag row
 * is the `process-c50` row).
 *
 * `--metrics off` runs with metrics off; `--metrics both` runs every case with metrics on and
 * off in turn (the order alternating between repetitions) and prints both, to measure what
 * counting costs.
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
    cases: { type: "string", default: "createMany,process-c1,process-c50,multi-tag" },
    tags: { type: "string", default: "4" },
    "tag-concurrency": { type: "string", default: "50" },
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
const tags = Number(values.tags);
const tagConcurrency = Number(values["tag-concurrency"]);

type Open = () => Store | Promise<Store>;
type Run = (open: Open, jobs: number) => Promise<BenchRow>;

/** `open` with metrics on or off. */
function withMode(open: Open, mode: string): Open {
  return async () => {
    const store = await open();
    return mode === "off" ? withoutMetrics(store) : store;
  };
}

/** Runs a case `reps` times per metrics mode after a warm-up (JIT); the median of each. */
async function median(open: Open, run: Run): Promise<BenchRow[]> {
  const rows = await medians(modes.map((mode) => (n) => run(withMode(open, mode), n)));
  return rows.map((row, i) =>
    modes.length > 1 ? { ...row, store: `${row.store} (metrics ${modes[i]})` } : row
  );
}

/**
 * Runs cases in turns, `reps` times each after one small warm-up run of each, alternating
 * their order between repetitions (so a change in the machine's load hits both alike), and
 * keeps each one's median.
 */
async function medians(runs: ((jobs: number) => Promise<BenchRow>)[]): Promise<BenchRow[]> {
  for (const run of runs) await run(Math.min(jobs, 10_000));
  const rows: BenchRow[][] = runs.map(() => []);
  for (let i = 0; i < reps; i++) {
    const order = runs.map((_, k) => (i % 2 ? runs.length - 1 - k : k));
    for (const k of order) rows[k].push(await runs[k](jobs));
  }
  return rows.map((each) => {
    const middle = Math.floor(each.length / 2);
    const cpu = each.map((row) => row.cpuUsPerJob).sort((a, b) => a - b)[middle];
    each.sort((a, b) => a.jobsPerSec - b.jobsPerSec);
    // The median of jobs/s, with the median of CPU µs per job on its own (steadier here).
    return { ...each[middle], cpuUsPerJob: cpu };
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

/** Each case on a fresh prefix of one private `redis-server`, stopped at the end. */
function redisOpener(): { open: () => Promise<Store>; stop: () => Promise<void> } {
  let server: Promise<{ url: string; dispose(): Promise<void> }> | undefined;
  return {
    async open() {
      const { redisServer } = await import("../tests/_redis_server.ts");
      server ??= redisServer().then((s) => {
        if (typeof s === "string") throw new Error(`Cannot bench the Redis store: ${s}`);
        return s;
      });
      const { RedisStore } = await import("../stores/redis.ts");
      return new RedisStore({ url: (await server).url, prefix: `bench-${crypto.randomUUID()}` });
    },
    stop: async () => await (await server)?.dispose(),
  };
}

const redis = redisOpener();
const openers: Record<string, () => Store | Promise<Store>> = {
  memory: () => new MemoryStore(),
  sqlite: sqliteOpener(),
  redis: redis.open,
};

const cases = values.cases.split(",");
const rows: BenchRow[] = [];
const shares: string[] = [];
try {
  for (const name of values.stores.split(",")) {
    const open = openers[name];
    if (!open) {
      throw new TypeError(
        `Cannot bench store as it is unknown: current value is ${JSON.stringify(name)}`,
      );
    }
    if (cases.includes("createMany")) {
      rows.push(...await median(open, (o, n) => benchCreateMany(name, o, n)));
    }
    if (cases.includes("process-c1")) {
      rows.push(...await median(open, (o, n) => benchProcess(name, o, n, 1)));
    }
    if (cases.includes("process-c50") && !(cases.includes("multi-tag") && tagConcurrency === 50)) {
      rows.push(...await median(open, (o, n) => benchProcess(name, o, n, 50)));
    }
    if (cases.includes("multi-tag")) {
      const [one, many] = await medians([
        (n) => benchProcess(name, open, n, tagConcurrency),
        (n) => benchProcess(name, open, n, tagConcurrency, tags),
      ]);
      rows.push(one, many);
      shares.push(
        `${name}: ${tags} tags at c${tagConcurrency} keep ${
          Math.round((many.jobsPerSec / one.jobsPerSec) * 100)
        }% of the one-tag rate (${many.jobsPerSec.toLocaleString("en")} vs ${
          one.jobsPerSec.toLocaleString("en")
        } jobs/s)`,
      );
    }
  }
} finally {
  await redis.stop();
}
const runtime = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined" ? "bun" : "deno";
console.log(
  `Kinetik on ${runtime}, ${
    jobs.toLocaleString("en")
  } no-op jobs per case, median of ${reps} runs (metrics ${values.metrics})\n`,
);
printTable(rows);
if (shares.length > 0) console.log(`\n${shares.join("\n")}`);
