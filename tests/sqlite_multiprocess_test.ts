import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { after, test } from "node:test";
import { kinetik } from "../mod.ts";
import { STORE_MESSAGES } from "../src/store.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { waitFor, withTimeout } from "./_helpers.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-multiprocess-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const fresh = (name: string) => join(dir, `${++files}-${name}`);

const isBun = "bun" in process.versions;
/** Child processes on a busy host outlast Bun's default 5 s per test; the waits inside are bounded. */
const SLOW = { timeout: 30_000 };
const config = fileURLToPath(new URL("../deno.json", import.meta.url));

/** A child process running a fixture with the current runtime, its stdout split in lines. */
class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | string | null>;
  #lines: string[] = [];
  #stderr = "";
  #waiters = new Set<() => void>();

  constructor(fixture: string, args: string[]) {
    const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
    const argv = isBun ? [file, ...args] : ["run", "-A", `--config=${config}`, file, ...args];
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

  get isRunning(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The first stdout line matching `pattern`, waiting up to `ms` (0: it must be there). */
  async line(pattern: RegExp, ms = 10_000): Promise<string> {
    let check = () => {};
    const found = new Promise<string>((resolve, reject) => {
      check = () => {
        const line = this.#lines.find((line) => pattern.test(line));
        if (line !== undefined) resolve(line);
        else if (!this.isRunning) reject(new Error("the process ended"));
      };
    });
    this.#waiters.add(check);
    check();
    try {
      return await withTimeout(found, ms, `a line matching ${pattern}`);
    } catch (error) {
      throw new Error(`${(error as Error).message}; stderr: ${this.#stderr.slice(-2000)}`);
    } finally {
      this.#waiters.delete(check);
    }
  }

  /** Sends `signal` (when still running) and waits (up to 10 s) for the exit. */
  async stop(signal: NodeJS.Signals): Promise<number | string | null> {
    if (this.isRunning) this.process.kill(signal);
    return await withTimeout(this.exited, 10_000, `the child to exit on ${signal}`);
  }
}

/** Polls the database every 25 ms (the workers write to it meanwhile) until `predicate` holds. */
function until(predicate: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  return waitFor(predicate, ms, what, 25);
}

function readIds(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** Opens the database (creating the schema once), runs `fn`, then stops every child. */
async function withDatabase(
  fn: (path: string, store: SqliteStore, spawned: Child[]) => Promise<void>,
): Promise<void> {
  const path = fresh("jobs.db");
  const store = new SqliteStore({ path });
  const spawned: Child[] = [];
  try {
    await fn(path, store, spawned);
  } finally {
    await Promise.all(spawned.map((child) => child.stop("SIGKILL")));
    await store.close();
  }
}

test(
  "SqliteStore: four worker processes run 5,000 jobs of a producer process exactly once",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const results = [1, 2, 3, 4].map((n) => fresh(`results-${n}.txt`));
      const workers = results.map((file) =>
        new Child("sqlite_worker.ts", [path, file, "30000", "10"])
      );
      spawned.push(...workers);
      await Promise.all(workers.map((worker) => worker.line(/^ready$/)));

      const producer = new Child("sqlite_producer.ts", [path, "5000"]);
      spawned.push(producer);
      await producer.line(/^done$/);
      assert.equal(await withTimeout(producer.exited, 10_000, "the producer to exit"), 0);
      await until(
        async () => (await store.count({ status: "completed" })) === 5_000,
        15_000,
        "5,000 completed jobs",
      );

      // Graceful stop; the exit status is not compared, as Deno's child_process reports a child
      // that exits 0 on SIGTERM as killed by the signal.
      await Promise.all(workers.map((worker) => worker.stop("SIGTERM")));
      for (const worker of workers) await worker.line(/^stopped$/, 0);
      const runs = results.flatMap(readIds);
      const unique = new Set(runs);
      assert.equal(runs.length, 5_000, "every job ran once: no duplicates");
      assert.equal(unique.size, 5_000, "no job is missing");
      const stored = new Set(
        (await store.find({}, { offset: 0, limit: 10_000 })).map((job) => job.id),
      );
      assert.deepEqual(unique, stored);
      // SQLite's write lock is not fair: on a loaded machine one of four workers may get no job
      // before the others drain the queue, so the test only asks that they shared the work.
      const busy = results.filter((file) => readIds(file).length > 0);
      assert.ok(busy.length >= 2, `${busy.length} of 4 workers took part`);
    });
  },
);

test(
  "SqliteStore: a job whose worker is SIGKILLed mid-run is recovered and completed by another",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const [firstResults, secondResults] = [fresh("first.txt"), fresh("second.txt")];
      const first = new Child("sqlite_worker.ts", [path, firstResults, "500", "1"]);
      spawned.push(first);
      await first.line(/^ready$/);
      const [job] = await store.add([{
        task: "record",
        data: { hold: true },
        created: Date.now(),
        priority: 0,
        log: { time: Date.now(), message: "Created" },
      }]);
      await first.line(new RegExp(`^started ${job.id}$`));

      const second = new Child("sqlite_worker.ts", [path, secondResults, "500", "1"]);
      spawned.push(second);
      await second.line(/^ready$/);
      assert.equal((await store.get(job.id))?.status, "processing");
      assert.equal(await first.stop("SIGKILL"), "SIGKILL");

      // The lease is 500 ms: recovered and run again well within 5 s of the kill.
      await until(
        async () => (await store.get(job.id))?.status === "completed",
        5_000,
        "recovery within 5 s",
      );
      const done = await store.get(job.id);
      assert.equal(done?.attempts, 2);
      assert.deepEqual(readIds(firstResults), []);
      assert.deepEqual(readIds(secondResults), [job.id]);
      const messages = (await store.logs(job.id)).map((line) => line.message);
      assert.ok(messages.includes(STORE_MESSAGES.stalledRequeued), messages.join(" | "));
    });
  },
);

test(
  "SqliteStore: a job survives its producer being SIGKILLed right after create() resolved",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const producer = new Child("sqlite_producer.ts", [path, "one"]);
      spawned.push(producer);
      const id = (await producer.line(/^created \d+$/)).split(" ")[1];
      assert.equal(await producer.stop("SIGKILL"), "SIGKILL");

      assert.equal((await store.get(id))?.status, "queued");
      const results = fresh("results.txt");
      const worker = new Child("sqlite_worker.ts", [path, results, "30000", "1"]);
      spawned.push(worker);
      await until(
        async () => (await store.get(id))?.status === "completed",
        10_000,
        "job completed",
      );
      assert.deepEqual(readIds(results), [id]);
    });
  },
);

test(
  "SqliteStore: cancelling a job aborts its run in the worker process that runs it",
  SLOW,
  async () => {
    await withDatabase(async (path, store, spawned) => {
      const results = fresh("results.txt");
      const worker = new Child("sqlite_worker.ts", [path, results, "30000", "1"]);
      spawned.push(worker);
      await worker.line(/^ready$/);
      const queue = kinetik(new SqliteStore({ path }));
      try {
        const job = await queue.create("record", { hold: true });
        await worker.line(new RegExp(`^started ${job.id}$`));
        assert.equal(await queue.cancel(job.id), true);
        await worker.line(new RegExp(`^aborted ${job.id}$`), 5_000);
        assert.equal((await store.get(job.id))?.status, "cancelled");
        assert.deepEqual(readIds(results), []);
      } finally {
        await queue.close();
      }
    });
  },
);
