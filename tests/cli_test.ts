/**
 * The `kinetik` binary end to end: built once with `bun build --compile`, run as a user runs
 * it against a real SQLite file (and a private Redis when one is available), next to a real
 * worker process (`examples/worker.ts`) for `tasks`, `watch` and `cancel`. Every store change
 * the command claims is checked through the library.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { type Job, Queue } from "../mod.ts";
import { openStore } from "../src/open_store.ts";
import { waitFor } from "./_helpers.ts";
import { runBinary, spawnChild } from "./_cli_process.ts";
import { redisServer } from "./_redis_server.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "kinetik-cli-"));
const bin = join(dir, "kinetik");
after(() => rmSync(dir, { recursive: true, force: true }));

/** Why the binary tests are skipped, or `undefined` once the binary is built. */
function build(): string | undefined {
  const built = spawnSync(
    "bun",
    ["build", "--compile", "cli.ts", "--outfile", bin],
    { cwd: root, encoding: "utf8" },
  );
  if (built.error) return `bun is not available to build the binary (${built.error.message})`;
  if (built.status !== 0) return `bun build failed:\n${built.stderr}`;
  return undefined;
}
const skip = build();
if (skip) console.log(`Skipping the kinetik binary tests: ${skip}`);

const redis = skip ? skip : await redisServer();
const skipRedis = typeof redis === "string" ? redis : undefined;
if (skipRedis && !skip) console.log(`Skipping the kinetik tests on Redis: ${skipRedis}`);
after(() => typeof redis === "string" ? undefined : redis.dispose());

let files = 0;
/** A fresh SQLite store URL in the temp dir. */
function freshStore(): string {
  return `sqlite:${join(dir, `k${++files}.db`)}`;
}

/** Runs the binary with `KINETIK_STORE=store`. */
function kinetik(store: string, ...args: string[]) {
  return runBinary(bin, args, { KINETIK_STORE: store });
}

/** Runs `fn` with a queue on `url`, closed afterwards. */
async function withQueue<T>(url: string, fn: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(await openStore(url));
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

/** Everything in a store, to show a failed command changed nothing. */
function snapshot(url: string): Promise<unknown> {
  return withQueue(url, async (queue) => {
    const jobs: Job[] = [];
    for await (const job of queue.fetch()) jobs.push(job);
    return { jobs, logs: await Promise.all(jobs.map((job) => queue.logs(job.id))) };
  });
}

/**
 * Asserts exit code 0 of a process stopped by a signal it handles. Deno's `node:child_process`
 * reports the signal sent by `kill()` even when the child exited by itself, so there only the
 * output can tell.
 */
function assertExitedCleanly(code: number | string, message: string): void {
  if (!("Deno" in globalThis)) assert.equal(code, 0, message);
}

function assertOneLineError(stderr: string, pattern: RegExp): void {
  assert.match(stderr, /^kinetik: [^\n]+\n$/, `expected one line on stderr, got ${stderr}`);
  assert.match(stderr, pattern);
}

test("kinetik --help lists the commands, options, examples and exit codes", { skip }, async () => {
  const help = await kinetik(freshStore(), "--help");
  assert.equal(help.code, 0);
  for (const command of ["tasks", "jobs", "show", "add", "cancel", "retry", "clean", "watch"]) {
    assert.match(help.stdout, new RegExp(`^  ${command}\\b`, "m"));
  }
  assert.match(help.stdout, /--store URL/);
  assert.match(help.stdout, / {2}0 {2}success\n {2}1 {2}failure.*\n {2}2 {2}usage error/);
  const add = await kinetik(freshStore(), "add", "--help");
  assert.equal(add.code, 0);
  assert.match(add.stdout, /Usage: kinetik add TASK \[JSON\] \[options\]/);
  assert.match(add.stdout, /--delay D/);
  assert.match(add.stdout, /kinetik add "send email"/);
  assert.equal(
    (await kinetik(freshStore(), "help", "watch")).stdout.split("\n")[0],
    "kinetik watch: Print live job events from every worker until Ctrl-C",
  );
});

test("kinetik add, jobs, show, cancel, retry and clean change the store as they say", {
  skip,
}, async () => {
  const url = freshStore();
  const added = await kinetik(url, "add", "send email", '{"to":"ford@example.com"}');
  assert.deepEqual([added.code, added.stdout], [0, "Created job 1 (send email), queued.\n"]);
  const delayed = await kinetik(url, "add", "resize image", "--delay", "10m", "--json");
  assert.equal(delayed.code, 0);
  const record = JSON.parse(delayed.stdout) as Job;
  assert.equal(record.status, "delayed");
  assert.ok(record.runAt! - record.created === 600_000, "runs ten minutes after creation");
  const keyed = await kinetik(url, "add", "report", "--key", "daily", "--priority=-1", "--json");
  const again = await kinetik(url, "add", "report", "--key", "daily");
  assert.match(again.stdout, /^Job 3 \(report\) already holds key daily; it is queued\.\n$/);

  await withQueue(url, async (queue) => {
    assert.deepEqual((await queue.get("1"))?.data, { to: "ford@example.com" });
    assert.equal((await queue.get("3"))?.priority, -1);
    assert.equal(JSON.parse(keyed.stdout).id, "3");
    assert.equal(await queue.count(), 3);
  });

  const jobs = await kinetik(url, "jobs");
  assert.equal(jobs.code, 0);
  assert.match(jobs.stdout, /^TAG +TASK +QUEUED +DELAYED +PROCESSING .* TOTAL$/m);
  assert.match(jobs.stdout, /^\? +send email +1 +0 +0 +0 +0 +0 +0 +1$/m);
  assert.match(jobs.stdout, /^ +all +2 +1 +0 +0 +0 +0 +0 +3$/m);
  const filtered = JSON.parse((await kinetik(url, "jobs", "--status", "delayed", "--json")).stdout);
  assert.equal(filtered.total, 1);
  assert.deepEqual(filtered.tasks.map((row: { task: string }) => row.task), ["resize image"]);

  const show = await kinetik(url, "show", "1");
  assert.equal(show.code, 0);
  assert.match(show.stdout, /^Job 1 +send email +queued\n/);
  assert.match(show.stdout, /data +\{"to":"ford@example.com"\}/);
  assert.match(show.stdout, /\nLog\n +\d\d:\d\d:\d\d +Created/);
  const shown = JSON.parse((await kinetik(url, "show", "1", "--json")).stdout);
  assert.equal(shown.log[0].message, "Created");

  const cancel = await kinetik(url, "cancel", "2");
  assert.deepEqual([cancel.code, cancel.stdout], [0, "Cancelled job 2 (resize image).\n"]);
  const twice = await kinetik(url, "cancel", "2");
  assert.equal(twice.code, 1);
  assertOneLineError(twice.stderr, /job 2 is already cancelled/);
  const retry = await kinetik(url, "retry", "2");
  assert.deepEqual([retry.code, retry.stdout], [0, "Requeued job 2 (resize image).\n"]);
  const notFinished = await kinetik(url, "retry", "1");
  assert.equal(notFinished.code, 1);
  assertOneLineError(notFinished.stderr, /job 1 is queued; only failed, timeout or cancelled/);
  await withQueue(url, async (queue) => {
    assert.equal((await queue.get("2"))?.status, "queued");
    assert.deepEqual((await queue.logs("2")).map((line) => line.message).slice(-2), [
      "Cancelled",
      "Requeued by hand",
    ]);
  });

  assert.equal((await kinetik(url, "cancel", "3")).code, 0);
  const clean = await kinetik(url, "clean", "--status", "cancelled");
  assert.deepEqual([clean.code, clean.stdout], [0, "Removed 1 cancelled job.\n"]);
  const none = await kinetik(url, "clean");
  assert.equal(none.stdout, "Removed 0 completed jobs.\n");
  await withQueue(url, async (queue) => {
    assert.equal(await queue.get("3"), undefined);
    assert.deepEqual(await queue.logs("3"), []);
    assert.equal(await queue.count(), 2);
  });
});

test("kinetik with a worker running: tasks, watch, cancel of a running job, retry", {
  skip,
  timeout: 25_000,
}, async () => {
  const url = freshStore();
  const argv = "Deno" in globalThis ? ["run", "-A", "examples/worker.ts"] : ["examples/worker.ts"];
  const worker = spawnChild(process.execPath, argv, {
    cwd: root,
    env: { KINETIK_STORE: url, QUEUE: "media,messaging" },
  });
  let watch: ReturnType<typeof spawnChild> | undefined;
  try {
    await worker.printed("(Ctrl-C to stop)");
    const tasks = await kinetik(url, "tasks", "--json");
    assert.equal(tasks.code, 0);
    const listed = JSON.parse(tasks.stdout);
    assert.deepEqual(
      listed.tasks.map((t: { name: string; tag: string }) => `${t.tag}/${t.name}`),
      ["media/resize image", "messaging/send email"],
    );
    assert.equal(listed.workers.length, 1);
    assert.equal(listed.workers[0].pid, worker.pid);
    assert.deepEqual(listed.workers[0].tags, ["media", "messaging"]);
    const table = (await kinetik(url, "tasks")).stdout;
    assert.match(table, /^send email +messaging +1 +10s +500ms ×2 +Sends an email to data.to$/m);
    assert.match(
      table,
      new RegExp(`^WORKER .*\\n\\S+ +\\S+ +${worker.pid} +media,messaging `, "m"),
    );

    watch = spawnChild(bin, ["watch", "--timeout", "20s"], { env: { KINETIK_STORE: url } });
    await watch.printedOnStderr("Watching sqlite");
    const long = JSON.parse(
      (await kinetik(url, "add", "resize image", '{"steps":100}', "--json")).stdout,
    );
    await watch.printed(`progress   #${long.id} resize image  [`);
    const cancel = await kinetik(url, "cancel", long.id);
    assert.deepEqual([cancel.code, cancel.stdout], [
      0,
      `Cancelled job ${long.id} (resize image).\n`,
    ]);
    await watch.printed(`cancelled  #${long.id} resize image`);
    // The worker runs one job at a time: an email completes only if the resize was aborted.
    const email = JSON.parse(
      (await kinetik(url, "add", "send email", '{"to":"a@b.c"}', "--json")).stdout,
    );
    await watch.printed(`completed  #${email.id} send email  in `);
    const bad = JSON.parse(
      (await kinetik(url, "add", "send email", '{"to":"nobody"}', "--json")).stdout,
    );
    await watch.printed(`failed     #${bad.id} send email  Cannot send email`);
    const retry = await kinetik(url, "retry", bad.id);
    assert.equal(retry.code, 0);
    await watch.printed(`started    #${bad.id} send email  attempt 4`);
    watch.child.kill("SIGINT");
    assertExitedCleanly(await watch.exited, "watch ends with 0 on SIGINT");
    assert.match(
      watch.output(),
      new RegExp(`log +#${email.id} send email  Sent \\{"to":"a@b.c"\\}`),
    );

    await withQueue(url, async (queue) => {
      const cancelled = await queue.get(long.id);
      assert.equal(cancelled?.status, "cancelled");
      assert.ok((cancelled?.progress?.current ?? 0) < 100, "the resize stopped early");
      assert.equal((await queue.get(email.id))?.status, "completed");
      await waitFor(async () => (await queue.get(bad.id))?.status === "failed", 5_000);
      assert.ok((await queue.logs(bad.id)).some((line) => line.message === "Requeued by hand"));
    });
  } finally {
    watch?.child.kill("SIGKILL");
    await watch?.exited;
    worker.child.kill("SIGTERM");
    assertExitedCleanly(await worker.exited, "the worker stops on SIGTERM");
    assert.match(worker.output(), /\nStopped\.\n$/, "the worker stops gracefully");
  }
});

test("kinetik watch --json --count stops after that many events, one JSON event per line", {
  skip,
}, async () => {
  const url = freshStore();
  const watch = spawnChild(bin, ["watch", "--json", "--count", "2", "--type", "created"], {
    env: { KINETIK_STORE: url },
  });
  await watch.printedOnStderr("Watching sqlite");
  await kinetik(url, "add", "a");
  await kinetik(url, "add", "b", "[1,2]");
  assert.equal(await watch.exited, 0);
  const events = watch.output().trim().split("\n").map((line) => JSON.parse(line));
  assert.deepEqual(events.map((e) => [e.type, e.job.task, e.job.data]), [
    ["created", "a", {}],
    ["created", "b", [1, 2]],
  ]);
});

test("kinetik refuses bad input with one line, the documented code, and no change", {
  skip,
}, async () => {
  const url = freshStore();
  await kinetik(url, "add", "send email", '{"to":"ford@example.com"}');
  const before = await snapshot(url);
  const cases: [string[], number, RegExp][] = [
    [["add", "send email", "{to:"], 2, /add: data must be valid JSON .*current value is "\{to:"/],
    [["add", "bad:name"], 2, /add: Cannot .*task.*"bad:name"/],
    [["add", "x", "--delay", "soon"], 2, /--delay must be a duration .*"soon"/],
    [["add"], 2, /add needs a task name/],
    [["show", "404"], 1, /^kinetik: no job with id 404$/m],
    [["cancel", "404"], 1, /no job with id 404/],
    [["retry", "404"], 1, /no job with id 404/],
    [["show"], 2, /show needs a job id/],
    [["jbos"], 2, /unknown command "jbos" \(did you mean jobs\?\)/],
    [["jobs", "--tagz", "x"], 2, /jobs: unknown option --tagz \(did you mean --tags\?\)/],
    [["jobs", "--status", "faild"], 2, /unknown status "faild" \(did you mean failed\?\)/],
    [["clean", "extra"], 2, /clean: unexpected argument "extra"/],
    [["--store", "mysql://x", "jobs"], 2, /--store: Cannot open a store .*"mysql:\/\/x"/],
    [["--store", "sqlite:", "jobs"], 2, /--store: Cannot open a store/],
    [["--store", `sqlite:${join(dir, "missing", "k.db")}`, "jobs"], 1, /sqlite: Cannot open/],
    [["--store", "redis://127.0.0.1:1", "jobs"], 1, /^kinetik: redis: /],
    [["--store", "postgres://127.0.0.1:1/x", "jobs"], 1, /^kinetik: postgres: /],
  ];
  for (const [args, code, pattern] of cases) {
    const result = await kinetik(url, ...args);
    assert.equal(result.code, code, `kinetik ${args.join(" ")}: ${result.stderr}`);
    assertOneLineError(result.stderr, pattern);
    assert.equal(result.stdout, "", `kinetik ${args.join(" ")} prints nothing on stdout`);
  }
  assert.deepEqual(await snapshot(url), before);
});

test(
  "kinetik add, jobs, show, cancel, retry, tasks, watch and clean work on a redis:// store",
  { skip: skipRedis, timeout: 30_000 },
  async () => {
    const url = (redis as Exclude<typeof redis, string>).url;
    const added = await kinetik(url, "add", "send email", '{"to":"ford@example.com"}', "--json");
    assert.equal(added.code, 0);
    const job = JSON.parse(added.stdout) as Job;
    const jobs = JSON.parse((await kinetik(url, "jobs", "--json")).stdout);
    assert.equal(jobs.tasks.find((row: { task: string }) => row.task === "send email").total, 1);
    const show = await kinetik(url, "show", job.id);
    assert.match(show.stdout, new RegExp(`^Job ${job.id} +send email +queued\n`));
    const cancel = await kinetik(url, "cancel", job.id);
    assert.deepEqual([cancel.code, cancel.stdout], [0, `Cancelled job ${job.id} (send email).\n`]);
    const unknown = await kinetik(url, "show", "404404");
    assert.equal(unknown.code, 1);
    assertOneLineError(unknown.stderr, /no job with id 404404/);
    await withQueue(url, async (queue) => {
      assert.equal((await queue.get(job.id))?.status, "cancelled");
      assert.deepEqual((await queue.logs(job.id)).map((line) => line.message), [
        "Created",
        "Cancelled",
      ]);
    });
    const retry = await kinetik(url, "retry", job.id);
    assert.deepEqual([retry.code, retry.stdout], [0, `Requeued job ${job.id} (send email).\n`]);

    // A worker on the same Redis: its heartbeat makes `tasks` know it, and `watch` sees its jobs.
    const worker = new Queue(await openStore(url), { interval: 50 });
    worker.define("send email").tag("messaging").desc("Sends an email").action(() => {});
    try {
      worker.process("messaging");
      let tasks: { tasks: { name: string; tag: string }[] } = { tasks: [] };
      await waitFor(
        async () => {
          tasks = JSON.parse((await kinetik(url, "tasks", "--json")).stdout);
          return tasks.tasks.some((task) => task.name === "send email");
        },
        10_000,
        "the worker's heartbeat",
      );
      assert.equal(tasks.tasks.find((task) => task.name === "send email")?.tag, "messaging");
      await waitFor(
        async () => (await worker.get(job.id))?.status === "completed",
        10_000,
        "the retried job to complete",
      );
      const watching = kinetik(url, "watch", "--json", "--count", "3", "--timeout", "20s");
      await new Promise((resolve) => setTimeout(resolve, 300)); // let watch subscribe
      const next = JSON.parse(
        (await kinetik(url, "add", "send email", '{"to":"arthur@example.com"}', "--json")).stdout,
      ) as Job;
      const watched = await watching;
      assert.equal(watched.code, 0, watched.stderr);
      const events = watched.stdout.trim().split("\n").map((line) => JSON.parse(line));
      // Processes publish on their own: the add's "created" may arrive after the worker's start.
      assert.deepEqual(
        events.filter((event) => event.job.id === next.id).map((event) => event.type).sort(),
        ["completed", "created", "started"],
      );
    } finally {
      await worker.close();
    }
    const clean = await kinetik(url, "clean");
    assert.equal(clean.code, 0);
    assert.match(clean.stdout, /^Removed 2 completed jobs\.\n$/);
    await withQueue(
      url,
      async (queue) => assert.equal(await queue.count({ status: "completed" }), 0),
    );
  },
);
