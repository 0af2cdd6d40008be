import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { kinetik } from "../mod.ts";
import { PostgresStore } from "../stores/postgres.ts";
import { unavailable } from "./_unavailable.ts";
import { postgresServer } from "./_postgres_server.ts";

const server = await postgresServer();
const skip = unavailable(
  "the PostgreSQL multi-process tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const isBun = "bun" in process.versions;
const config = fileURLToPath(new URL("../deno.json", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/postgres_worker.ts", import.meta.url));
let schemas = 0;

/** A worker process running the fixture with the current runtime, its stdout in lines. */
class Worker {
  readonly process: ChildProcess;
  readonly exited: Promise<number | string | null>;
  #lines: string[] = [];
  #stderr = "";
  #waiters = new Set<() => void>();

  constructor(schema: string, lease: number, concurrency: number, runs: string) {
    const args = [url, schema, String(lease), String(concurrency), runs];
    const argv = isBun ? [fixture, ...args] : ["run", "-A", `--config=${config}`, fixture, ...args];
    this.process = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let partial = "";
    this.process.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      this.#lines.push(...parts);
      for (const wake of this.#waiters) wake();
    });
    this.process.stderr!.setEncoding("utf8").on("data", (chunk: string) => this.#stderr += chunk);
    this.exited = new Promise((resolve) =>
      this.process.on("close", (code, signal) => {
        for (const wake of this.#waiters) wake();
        resolve(code ?? signal);
      })
    );
  }

  /** The end of what the worker wrote to stderr. */
  get stderr(): string {
    return this.#stderr.slice(-1000);
  }

  get pid(): number {
    return this.process.pid!;
  }

  get isRunning(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** Resolves once the worker printed `line`; fails after `ms` or when it exits first. */
  line(line: string, ms = 20_000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.#lines.includes(line)) return done(), resolve();
        if (!this.isRunning) {
          done();
          reject(new Error(`worker exited before "${line}": ${this.#stderr.slice(-2000)}`));
        }
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`no "${line}" within ${ms} ms: ${this.#stderr.slice(-2000)}`));
      }, ms);
      const done = () => {
        clearTimeout(timer);
        this.#waiters.delete(check);
      };
      this.#waiters.add(check);
      check();
    });
  }

  /** Sends `signal` (when still running) and waits for the exit. */
  async stop(signal: NodeJS.Signals): Promise<number | string | null> {
    if (this.isRunning) this.process.kill(signal);
    return await this.exited;
  }
}

/**
 * Polls `predicate` every 20 ms until it holds, failing after `ms` with what `state` (when
 * given) tells of the store at that moment.
 */
async function until(
  predicate: () => Promise<boolean>,
  ms: number,
  what: string,
  state?: () => Promise<unknown>,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await predicate())) {
    if (Date.now() > deadline) {
      const seen = state ? `; state: ${JSON.stringify(await state())}` : "";
      throw new Error(`timed out after ${ms} ms waiting for ${what}${seen}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The counts and the running jobs of a store, and what workers complained of. */
async function state(store: PostgresStore, workers: Worker[] = []): Promise<unknown> {
  const running = await store.find({ status: "processing" }, { offset: 0, limit: 20 });
  return {
    stats: await store.stats(),
    running: running.map((job) => [job.id, job.worker, job.leaseUntil, job.attempts]),
    now: Date.now(),
    workers: workers.map((worker) => [worker.pid, worker.isRunning, worker.stderr]),
  };
}

interface Run {
  job: string;
  pid: number;
  started: number;
  /** Epoch ms; undefined when the worker was killed first. */
  ended?: number;
}

/** A fresh schema, a dir for the workers' run logs, a store, and cleanup of every worker. */
async function withSchema(
  fn: (schema: string, store: PostgresStore, runsDir: string, workers: Worker[]) => Promise<void>,
): Promise<void> {
  const schema = `proc${++schemas}`;
  const store = new PostgresStore({ url, schema, max: 4 });
  const runsDir = mkdtempSync(join(tmpdir(), "kinetik-pg-runs-"));
  const workers: Worker[] = [];
  try {
    await store.ready();
    await fn(schema, store, runsDir, workers);
  } finally {
    await Promise.all(workers.map((worker) => worker.stop("SIGKILL")));
    await store.close();
    rmSync(runsDir, { recursive: true, force: true });
  }
}

/** Every run the workers logged, by job, in start order. */
function runsByJob(runsDir: string): Map<string, Run[]> {
  const byJob = new Map<string, Run[]>();
  for (const file of readdirSync(runsDir)) {
    const pid = Number(file.replace(".log", ""));
    const open = new Map<string, Run>();
    for (const line of readFileSync(join(runsDir, file), "utf8").split("\n")) {
      const [kind, job, at] = line.split(" ");
      if (kind === "start") {
        const run: Run = { job, pid, started: Number(at) };
        open.set(job, run);
        byJob.set(job, [...(byJob.get(job) ?? []), run]);
      } else if (kind === "end") {
        open.get(job)!.ended = Number(at);
        open.delete(job);
      }
    }
  }
  for (const runs of byJob.values()) runs.sort((a, b) => a.started - b.started);
  return byJob;
}

/** Adds `count` "work" jobs in batches, as a producer would. */
async function produce(store: PostgresStore, count: number): Promise<void> {
  const queue = kinetik(store);
  for (let start = 0; start < count; start += 500) {
    const size = Math.min(500, count - start);
    await queue.createMany(
      Array.from({ length: size }, (_, i) => ({ task: "work", data: { n: start + i } })),
    );
  }
}

const fourWorkers = "PostgresStore: four worker processes run 5,000 jobs exactly once";
test(fourWorkers, { skip, timeout: 120_000 }, async () => {
  await withSchema(async (schema, store, runsDir, workers) => {
    workers.push(...[1, 2, 3, 4].map(() => new Worker(schema, 30_000, 10, runsDir)));
    await Promise.all(workers.map((worker) => worker.line("ready")));
    await produce(store, 5_000);
    await until(
      async () => (await store.count({ status: "completed" })) === 5_000,
      60_000,
      "5,000 completed jobs",
      () => state(store, workers),
    );
    await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
    for (const worker of workers) await worker.line("stopped", 0);

    const byJob = runsByJob(runsDir);
    assert.equal(byJob.size, 5_000, "no job is missing");
    const recorded = [...byJob.values()].flat();
    assert.equal(recorded.length, 5_000, "every job ran once: no duplicates");
    assert.ok(recorded.every((run) => run.ended !== undefined), "every run finished");
    const pids = new Set(recorded.map((run) => run.pid));
    for (const worker of workers) assert.ok(pids.has(worker.pid), `worker ${worker.pid} took part`);
    assert.deepEqual(await store.stats(), { work: { completed: 5_000 } });
  });
});

const killed =
  "PostgresStore: workers SIGKILLed at random while 5,000 jobs run lose none and never run one twice at once";
test(killed, { skip, timeout: 180_000 }, async () => {
  await withSchema(async (schema, store, runsDir, workers) => {
    const lease = 1_000;
    const spawnWorker = () => {
      const worker = new Worker(schema, lease, 10, runsDir);
      workers.push(worker);
      return worker;
    };
    const live = [1, 2, 3, 4].map(spawnWorker);
    await Promise.all(live.map((worker) => worker.line("ready")));
    await produce(store, 5_000);

    // Kill a random worker while it holds jobs, six times as the work progresses, and start
    // another in its place.
    const killedAt = new Map<number, number>();
    const completed = () => store.count({ status: "completed" });
    for (let kill = 1; kill <= 6; kill++) {
      const progress = kill * 600;
      await until(
        async () => (await completed()) >= progress,
        60_000,
        `${progress} done`,
        () => state(store, workers),
      );
      // The victim is a live worker holding jobs now, picked at random among those (a worker
      // started after the last kill may get none before the rest is done).
      let index = -1;
      await until(
        async () => {
          const holders = (await store.find({ status: "processing" }, { offset: 0, limit: 100 }))
            .map((job) => job.worker ?? "");
          const busy = live.flatMap((worker, i) =>
            holders.some((holder) => holder.includes(`:${worker.pid}:`)) ? [i] : []
          );
          if (busy.length > 0) index = busy[Math.floor(Math.random() * busy.length)];
          return busy.length > 0;
        },
        20_000,
        "a live worker busy",
        () => state(store, workers),
      );
      const victim = live[index];
      assert.equal(await victim.stop("SIGKILL"), "SIGKILL");
      killedAt.set(victim.pid, Date.now());
      live[index] = spawnWorker();
    }
    await until(
      async () => (await completed()) === 5_000,
      90_000,
      "5,000 completed jobs",
      () => state(store, workers),
    );

    const byJob = runsByJob(runsDir);
    assert.equal(byJob.size, 5_000, "every job ran");
    let reruns = 0;
    for (const [job, runs] of byJob) {
      for (const run of runs) {
        if (run.ended !== undefined) continue;
        assert.ok(killedAt.has(run.pid), `a run of job ${job} vanished without a kill`);
      }
      for (let i = 1; i < runs.length; i++) {
        const before = runs[i - 1];
        const end = before.ended ?? killedAt.get(before.pid)!;
        assert.ok(
          runs[i].started >= end,
          `job ${job} ran twice at once: in ${before.pid} until ${end}, in ${runs[i].pid} from ${
            runs[i].started
          }`,
        );
        reruns++;
      }
    }
    assert.ok(reruns > 0, "some killed runs were run again");
    assert.deepEqual(await store.stats(), { work: { completed: 5_000 } });
  });
});

const cancelled =
  "PostgresStore: cancelling a job aborts its run in the worker process that runs it";
test(cancelled, { skip, timeout: 60_000 }, async () => {
  await withSchema(async (schema, store, runsDir, workers) => {
    const worker = new Worker(schema, 30_000, 1, runsDir);
    workers.push(worker);
    await worker.line("ready");
    const queue = kinetik(new PostgresStore({ url, schema, max: 2 }));
    try {
      const job = await queue.create("hold", {});
      await worker.line(`started ${job.id}`);
      assert.equal(await queue.cancel(job.id), true);
      await worker.line(`aborted ${job.id}`, 10_000);
      assert.equal((await store.get(job.id))?.status, "cancelled");
    } finally {
      await queue.close();
    }
  });
});
