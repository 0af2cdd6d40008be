/**
 * The job-lifecycle commands of the `kinetik` binary end to end (`remove`, `promote`, bulk
 * `retry`, `logs [--follow]`, `workers`, the result in `show`): the binary built with
 * `bun build --compile`, against a real SQLite file, beside a real worker process
 * (`tests/fixtures/steps_worker.ts`). What each command claims is checked through the library.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { test } from "node:test";
import { Queue } from "../mod.ts";
import { openStore } from "../src/open_store.ts";
import { buildBinary, ROOT } from "./_cli_binary.ts";
import { runBinary, spawnChild } from "./_cli_process.ts";
import { waitFor } from "./_helpers.ts";

const built = buildBinary();
const skip = built.skip;
if (skip) console.log(`Skipping the kinetik binary tests: ${skip}`);
const { bin, dir } = "bin" in built ? built : { bin: "", dir: "" };

let files = 0;
function freshStore(): string {
  return `sqlite:${join(dir, `l${++files}.db`)}`;
}

function kinetik(store: string, ...args: string[]) {
  return runBinary(bin, args, { env: { KINETIK_STORE: store } });
}

async function withQueue<T>(url: string, fn: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(await openStore(url));
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

/** Starts the fixture worker on `url`; resolves once it processes. */
async function startWorker(url: string, lease = 30_000) {
  const file = join(ROOT, "tests", "fixtures", "steps_worker.ts");
  const args = "Deno" in globalThis
    ? ["run", "-A", file, url, String(lease)]
    : [file, url, String(lease)];
  const worker = spawnChild(process.execPath, args, { cwd: ROOT });
  await worker.printed("ready ");
  return worker;
}

async function stopWorker(worker: Awaited<ReturnType<typeof startWorker>>): Promise<void> {
  worker.child.kill("SIGTERM");
  await worker.exited;
}

const TIME = /^\d\d:\d\d:\d\d {2}/;

test("kinetik --help lists remove, promote, logs and workers, each with its own --help", {
  skip,
}, async () => {
  const url = freshStore();
  const help = await kinetik(url, "--help");
  assert.equal(help.code, 0);
  for (const command of ["workers", "logs ID", "promote ID", "remove ID", "retry ID"]) {
    assert.match(help.stdout, new RegExp(`^  ${command}\\b`, "m"), `${command} in the list`);
  }
  for (const command of ["remove", "promote", "logs", "workers", "retry"]) {
    const own = await kinetik(url, command, "--help");
    assert.equal(own.code, 0, `${command} --help`);
    assert.match(own.stdout, new RegExp(`^kinetik ${command}: `));
    assert.match(own.stdout, /\nExit codes:\n {2}0 {2}success/);
    assert.match(own.stdout, /--json/);
  }
});

test("kinetik workers lists a worker process with its pid, tags and task count", {
  skip,
  timeout: 20_000,
}, async () => {
  const url = freshStore();
  const worker = await startWorker(url);
  try {
    const table = await kinetik(url, "workers");
    assert.equal(table.code, 0);
    assert.match(table.stdout, /^WORKER +HOST +PID +TAGS +TASKS +STARTED +SEEN$/m);
    assert.match(table.stdout, new RegExp(`^\\S+ +\\S+ +${worker.pid} +steps +1 +`, "m"));
    const json = JSON.parse((await kinetik(url, "workers", "--json")).stdout);
    assert.equal(json.length, 1);
    assert.equal(json[0].pid, worker.pid);
    assert.deepEqual(json[0].tasks.map((t: { name: string }) => t.name), ["steps"]);
  } finally {
    await stopWorker(worker);
  }
  // A stopped worker stays listed until its heartbeat expires: a fresh store has none.
  const empty = freshStore();
  await withQueue(empty, (queue) => queue.count()); // creates the file: kinetik reads only
  const none = await kinetik(empty, "workers");
  assert.deepEqual([none.code, none.stdout], [0, "No live workers.\n"]);
});

test("kinetik logs --follow prints a running job's lines until it is final", {
  skip,
  timeout: 20_000,
}, async () => {
  const url = freshStore();
  const worker = await startWorker(url);
  try {
    const job = await withQueue(
      url,
      (queue) => queue.create("steps", { lines: 3, pause: 300, hang: true }),
    );
    await worker.printed(`hanging ${job.id}`);
    // Follow a second job from its start: its lines arrive live from the worker.
    const next = await withQueue(url, (queue) => queue.create("steps", { lines: 3, pause: 200 }));
    const follow = spawnChild(bin, ["logs", next.id, "--follow"], {
      env: { KINETIK_STORE: url },
    });
    await follow.printed("Created");
    // The worker runs one job at a time: the hanging one must go first.
    assert.equal((await kinetik(url, "cancel", job.id)).code, 0);
    const code = await follow.exited;
    assert.equal(code, 0, follow.errors());
    const messages = follow.output().trimEnd().split("\n").map((line) => line.replace(TIME, ""));
    for (const expected of ["Created", "step 1", "step 2", "step 3"]) {
      assert.equal(messages.filter((m) => m === expected).length, 1, `${expected} once`);
    }
    assert.match(messages.at(-1)!, /^Completed in /);
    assert.ok(messages.indexOf("step 1") < messages.indexOf("step 3"));

    const stored = await kinetik(url, "logs", next.id, "--json");
    assert.deepEqual(
      JSON.parse(stored.stdout).map((line: { message: string }) => line.message.split(" (")[0]),
      ["Created", "Started", "step 1", "step 2", "step 3", messages.at(-1)!.split(" (")[0]],
    );
  } finally {
    await stopWorker(worker);
  }
  const missing = await kinetik(url, "logs", "404", "--follow");
  assert.deepEqual([missing.code, missing.stderr], [1, "kinetik: no job with id 404\n"]);
});

test("kinetik retry --status failed requeues every failed job, with --yes from a script", {
  skip,
}, async () => {
  const url = freshStore();
  await withQueue(url, async (queue) => {
    const jobs = await queue.createMany([
      { task: "a" },
      { task: "a" },
      { task: "b" },
      { task: "c" },
    ]);
    const { jobs: leased } = await queue.store.claim({
      groups: [["a", "b", "c"]],
      limit: 4,
      worker: "w",
      leaseMs: 1_000,
      now: Date.now(),
    });
    await queue.store.settle(leased.map((job) => ({
      id: job.id,
      token: job.token,
      outcome: job.task === "c" ? "timeout" as const : "failed" as const,
      now: Date.now(),
      error: { message: "no" },
      logs: [],
    })));
    assert.equal(jobs.length, 4);
  });
  const unconfirmed = await kinetik(url, "retry", "--status", "failed");
  assert.equal(unconfirmed.code, 2, "stdin is not a terminal: --yes is needed");
  assert.equal(
    unconfirmed.stderr,
    "kinetik: retry: would requeue 3 failed jobs; pass --yes to confirm\n",
  );
  const one = await kinetik(url, "retry", "--status", "failed", "--tasks", "b", "--yes");
  assert.deepEqual([one.code, one.stdout], [0, "Requeued 1 failed job.\n"]);
  const rest = await kinetik(url, "retry", "--status", "failed,timeout", "--yes", "--json");
  assert.equal(rest.code, 0);
  assert.deepEqual(JSON.parse(rest.stdout), { requeued: 3, status: ["failed", "timeout"] });
  await withQueue(url, async (queue) => {
    assert.equal(await queue.count({ status: "queued" }), 4);
  });
});

test("kinetik remove and promote change the store, and fail with exit 1 on the wrong job", {
  skip,
}, async () => {
  const url = freshStore();
  const [delayed, queued] = await withQueue(
    url,
    (queue) => Promise.all([queue.create("later", {}, "1d"), queue.create("now")]),
  );
  const promoted = await kinetik(url, "promote", delayed.id);
  assert.deepEqual([promoted.code, promoted.stdout], [
    0,
    `Promoted job ${delayed.id} (later): ready now.\n`,
  ]);
  const again = await kinetik(url, "promote", delayed.id);
  assert.deepEqual([again.code, again.stderr], [
    1,
    `kinetik: job ${delayed.id} is queued; only delayed jobs can be promoted\n`,
  ]);
  const removed = await kinetik(url, "remove", queued.id, "--json");
  assert.equal(removed.code, 0);
  assert.equal(JSON.parse(removed.stdout).removed.id, queued.id);
  assert.equal((await kinetik(url, "remove", queued.id)).code, 1);
  await withQueue(url, async (queue) => {
    assert.equal((await queue.get(delayed.id))?.status, "queued");
    assert.equal(await queue.get(queued.id), undefined);
  });
});

test(
  "kinetik show prints a completed job's result",
  { skip, timeout: 20_000 },
  async () => {
    const url = freshStore();
    const worker = await startWorker(url);
    try {
      const job = await withQueue(url, async (queue) => {
        const created = await queue.create("steps", { lines: 1, pause: 1, result: { rows: 3 } });
        return await queue.wait(created.id, { timeout: "10s" });
      });
      const show = await kinetik(url, "show", job.id);
      assert.equal(show.code, 0);
      assert.match(show.stdout, /^ {2}result +\{"rows":3\}$/m);
      assert.deepEqual(JSON.parse((await kinetik(url, "show", job.id, "--json")).stdout).result, {
        rows: 3,
      });
    } finally {
      await stopWorker(worker);
    }
  },
);

test("the steps worker fixture runs a job in its own process and stores its lines", {
  skip,
  timeout: 20_000,
}, async () => {
  // The fixture the store helpers' kill -9 tests use (a short lease, so renewals come often).
  const url = freshStore();
  const worker = await startWorker(url, 600);
  try {
    const job = await withQueue(url, (queue) => queue.create("steps", { lines: 2, pause: 10 }));
    await withQueue(url, async (queue) => {
      await waitFor(
        async () => (await queue.get(job.id))?.status === "completed",
        10_000,
        "the job to complete",
      );
      const messages = (await queue.logs(job.id)).map((line) => line.message);
      assert.deepEqual(messages.slice(2, 4), ["step 1", "step 2"]);
    });
  } finally {
    await stopWorker(worker);
  }
});
