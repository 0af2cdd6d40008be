import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Redis } from "ioredis";
import { RedisStore } from "../stores/redis.ts";
import { waitFor, withTimeout } from "./_helpers.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const server = await redisServer();
const skip = unavailable(
  "the Redis multi-process tests",
  typeof server === "string" ? server : undefined,
);
const url = typeof server === "string" ? "" : server.url;
after(() => typeof server === "string" ? undefined : server.dispose());

const root = fileURLToPath(new URL("..", import.meta.url));
const run = Math.random().toString(36).slice(2, 8);
let prefixes = 0;

/** A child process running a fixture with this runtime (Deno or Bun). */
interface Child {
  process: ChildProcess;
  pid: number;
  /** Resolves to the exit code (or signal name) once it ends. */
  exited: Promise<number | string>;
  /** Resolves once the child printed `line`; rejects after 10 s or when it exits first. */
  printed(line: string): Promise<void>;
}

function fixture(name: string, args: string[]): Child {
  const file = `tests/fixtures/${name}`;
  const argv = "Deno" in globalThis ? ["run", "-A", file, ...args] : [file, ...args];
  const child = spawn(process.execPath, argv, { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const waiters: { line: string; resolve: () => void }[] = [];
  const exited = new Promise<number | string>((resolve) =>
    child.once("exit", (code, signal) => resolve(code ?? signal ?? -1))
  );
  child.stdout!.on("data", (chunk: Buffer) => {
    output += chunk;
    for (const waiter of waiters) if (output.includes(waiter.line)) waiter.resolve();
  });
  child.stderr!.on("data", (chunk: Buffer) => process.stderr.write(chunk));
  return {
    process: child,
    pid: child.pid!,
    exited,
    printed: (line) =>
      withTimeout(
        new Promise((resolve, reject) => {
          if (output.includes(line)) return resolve();
          waiters.push({ line, resolve });
          exited.then((code) => reject(new Error(`${name} exited (${code}) before "${line}"`)));
        }),
        10_000,
        `${name} to print "${line}"`,
      ),
  };
}

/** The runs the workers recorded: `{ id, pid, at }` in order. */
async function runs(redis: Redis, base: string) {
  const lines = await redis.lrange(`${base}test-runs`, 0, -1);
  return lines.map((line) => {
    const [id, pid, at] = line.split(" ");
    return { id, pid: Number(pid), at: Number(at) };
  });
}

/** Stops the children gracefully, or kills those still running after 10 s. */
async function stopAll(children: Child[]): Promise<void> {
  for (const child of children) child.process.kill("SIGTERM");
  try {
    await withTimeout(Promise.all(children.map((child) => child.exited)), 10_000, "SIGTERM");
  } finally {
    for (const child of children) child.process.kill("SIGKILL");
  }
}

test(
  "Redis: three worker processes run 2,000 jobs of one producer exactly once",
  { skip, timeout: 20_000 },
  async () => {
    const prefix = `p${++prefixes}-${run}`;
    const store = new RedisStore({ url, prefix });
    const redis = new Redis(url);
    const workers = [1, 2, 3].map(() => fixture("redis_worker.ts", [url, prefix, "30000", "8"]));
    try {
      await Promise.all(workers.map((worker) => worker.printed("ready")));
      const producer = fixture("redis_producer.ts", [url, prefix, "2000"]);
      await producer.printed("done");
      const exit = await withTimeout(producer.exited, 10_000, "the producer to exit");
      assert.equal(exit, 0, "the producer ends by itself after close()");
      await waitFor(async () => (await store.count({ status: "completed" })) === 2_000, 15_000);
      const recorded = await runs(redis, store.base);
      assert.equal(recorded.length, 2_000, "every job ran once");
      assert.equal(new Set(recorded.map((r) => r.id)).size, 2_000);
      const pids = new Set(workers.map((worker) => worker.pid));
      assert.ok(recorded.every((r) => pids.has(r.pid)));
      assert.deepEqual(await store.stats(), { work: { completed: 2_000 } });
    } finally {
      await stopAll(workers);
      await store.close();
      await redis.quit();
    }
  },
);

test(
  "Redis: a job of a SIGKILLed worker is recovered by another after its lease",
  { skip, timeout: 20_000 },
  async () => {
    const prefix = `p${++prefixes}-${run}`;
    const lease = 500;
    const store = new RedisStore({ url, prefix });
    const redis = new Redis(url);
    const workers = [1, 2].map(() => fixture("redis_worker.ts", [url, prefix, String(lease), "2"]));
    try {
      await Promise.all(workers.map((worker) => worker.printed("ready")));
      const now = Date.now();
      const log = { time: now, message: "Created" };
      const [held] = await store.add([{
        task: "hold",
        data: null,
        created: now,
        priority: 0,
        log,
      }]);
      await waitFor(async () => (await runs(redis, store.base)).length === 1, 5_000, "first run");
      const [first] = await runs(redis, store.base);
      const victim = workers.find((worker) => worker.pid === first.pid)!;
      victim.process.kill("SIGKILL");
      assert.equal(await withTimeout(victim.exited, 10_000, "the SIGKILL"), "SIGKILL");
      const fillers = Array.from({ length: 50 }, (_, i) => ({
        task: "work",
        data: { i },
        created: now,
        priority: 0,
        log,
      }));
      await store.add(fillers);

      await waitFor(async () => (await store.get(held.id))?.status === "completed", 8_000);
      const recorded = await runs(redis, store.base);
      const holds = recorded.filter((r) => r.id === held.id);
      assert.equal(holds.length, 2, "the held job ran twice: killed, then recovered");
      assert.notEqual(holds[1].pid, victim.pid);
      assert.ok(
        holds[1].at >= holds[0].at + lease,
        "reclaimed only after the first lease ran out",
      );
      const job = await store.get(held.id);
      assert.equal(job?.attempts, 2);
      assert.ok((await store.logs(held.id)).some((line) => line.message.startsWith("Stalled")));
      await waitFor(
        async () => (await store.count({ task: "work", status: "completed" })) === 50,
        8_000,
        "the fillers to complete",
      );
      // Read again: `recorded` was taken when the held job completed, fillers may have run since.
      const fillerRuns = (await runs(redis, store.base)).filter((r) => r.id !== held.id);
      assert.equal(fillerRuns.length, 50, "fillers ran once each");
    } finally {
      await stopAll(workers);
      await store.close();
      await redis.quit();
    }
  },
);

test(
  "Redis: a SIGKILLed run keeps the lines and progress its last renewal wrote",
  { skip, timeout: 20_000 },
  async () => {
    const prefix = `p${++prefixes}-${run}`;
    const lease = 300; // renewals every 100 ms
    const store = new RedisStore({ url, prefix });
    const worker = fixture("steps_worker.ts", [`${url}?prefix=${prefix}`, String(lease)]);
    try {
      await worker.printed("ready");
      const now = Date.now();
      const [job] = await store.add([{
        task: "steps",
        data: { lines: 4, pause: 10, hang: true },
        created: now,
        priority: 0,
        log: { time: now, message: "Created" },
      }]);
      await worker.printed(`hanging ${job.id}`);
      const steps = async () =>
        (await store.logs(job.id)).filter((line) => line.message.startsWith("step "));
      // Nothing but a renewal writes these lines: the run never settles.
      await waitFor(async () => (await steps()).length === 4, 5_000, "a renewal with every step");
      worker.process.kill("SIGKILL");
      assert.equal(await worker.exited, "SIGKILL");

      assert.deepEqual((await steps()).map((line) => line.message), [
        "step 1",
        "step 2",
        "step 3",
        "step 4",
      ]);
      assert.deepEqual((await store.get(job.id))?.progress, { current: 4, total: 4 });
      const [recovered] = await store.recover(Date.now() + lease);
      assert.equal(recovered?.id, job.id, "the killed run's lease expires");
      const lines = await store.logs(job.id);
      assert.match(lines.at(-1)!.message, /^Stalled/);
      assert.equal((await steps()).length, 4, "recovery keeps the flushed lines");
    } finally {
      worker.process.kill("SIGKILL");
      await worker.exited;
      await store.close();
    }
  },
);
