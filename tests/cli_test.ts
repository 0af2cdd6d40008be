/**
 * The `kinetik` binary end to end: built once with `bun build --compile`, run as a user runs
 * it against a real SQLite file (Redis: `cli_redis_test.ts`), next to a real
 * worker process (`examples/worker.ts`) for `tasks`, `watch` and `cancel`. Every store change
 * the command claims is checked through the library.
 */

import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import type { Job } from "../mod.ts";
import { waitFor } from "./_helpers.ts";
import { runBinary, spawnChild } from "./_cli_process.ts";
import { assertOneLineError, buildKinetik, ROOT, SLOW, withQueue } from "./_kinetik_binary.ts";
import { unavailable } from "./_unavailable.ts";

const root = ROOT;
const dir = mkdtempSync(join(tmpdir(), "kinetik-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const built = buildKinetik(dir);
const skip = unavailable("the kinetik binary tests", typeof built === "string" ? built : undefined);
const bin = typeof built === "string" ? "" : built.bin;

let files = 0;
/** A fresh SQLite store URL in the temp dir. */
function freshStore(): string {
  return `sqlite:${join(dir, `k${++files}.db`)}`;
}

/** Runs the binary with `KINETIK_STORE=store`. */
function kinetik(store: string, ...args: string[]) {
  return runBinary(bin, args, { env: { KINETIK_STORE: store } });
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

test("kinetik --help lists the commands, options, examples and exit codes", {
  skip,
  timeout: SLOW,
}, async () => {
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
  timeout: SLOW,
}, async () => {
  const url = freshStore();
  const added = await kinetik(url, "add", "send email", '{"to":"ford@example.com"}');
  assert.deepEqual([added.code, added.stdout], [
    0,
    `Created job 1 (send email) in ${url}, queued.\n`,
  ]);
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
  assert.deepEqual([clean.code, clean.stdout], [0, `Removed 1 cancelled job from ${url}.\n`]);
  const none = await kinetik(url, "clean");
  assert.equal(none.stdout, `Removed 0 completed jobs from ${url}.\n`);
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
    assert.match(
      table,
      /^send email +messaging +1 +10s +500ms ×2 +- +- +Sends an email to data.to$/m,
    );
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
  timeout: SLOW,
}, async () => {
  const url = freshStore();
  await withQueue(url, () => Promise.resolve()); // watch reads a store; it creates none
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

test("kinetik in a directory without a store says so and creates no kinetik.db", {
  skip,
  timeout: SLOW,
}, async () => {
  const empty = mkdtempSync(join(dir, "empty-"));
  for (const args of [["jobs"], ["tasks"], ["show", "1"], ["watch", "--timeout", "1s"]]) {
    // KINETIK_STORE empty: the default store, sqlite:kinetik.db in the working directory.
    const result = await runBinary(bin, args, { cwd: empty, env: { KINETIK_STORE: "" } });
    assert.equal(result.code, 1, `kinetik ${args.join(" ")}: ${result.stderr}`);
    assertOneLineError(
      result.stderr,
      /^kinetik: no store at sqlite:kinetik\.db: \S+\/kinetik\.db does not exist \(kinetik add/,
    );
  }
  assert.deepEqual(readdirSync(empty), []);
  const added = await runBinary(bin, ["add", "x"], { cwd: empty, env: { KINETIK_STORE: "" } });
  assert.equal(added.stdout, "Created job 1 (x) in sqlite:kinetik.db, queued.\n");
  assert.ok(readdirSync(empty).includes("kinetik.db"));
});

test("kinetik refuses bad input with one line, the documented code, and no change", {
  skip,
  timeout: SLOW,
}, async () => {
  const url = freshStore();
  await kinetik(url, "add", "send email", '{"to":"ford@example.com"}');
  const before = await snapshot(url);
  const cases: [string[], number, RegExp][] = [
    [["add", "send email", "{to:"], 2, /add: data must be valid JSON .*current value is "\{to:"/],
    [["add", "bad:name"], 2, /add: Cannot .*task.*"bad:name"/],
    [["add", "x", "--delay", "soon"], 2, /--delay must be a duration .*"soon"/],
    [["add"], 2, /add needs a task name/],
    [["show", "404"], 1, /^kinetik: no job with id 404 in sqlite:\S+k\d+\.db$/m],
    [["cancel", "404"], 1, /no job with id 404/],
    [["retry", "404"], 1, /no job with id 404/],
    [["show"], 2, /show needs a job id/],
    [["jbos"], 2, /unknown command "jbos" \(did you mean jobs\?\)/],
    [["jobs", "--tagz", "x"], 2, /jobs: unknown option --tagz \(did you mean --tags\?\)/],
    [["jobs", "--status", "faild"], 2, /unknown status "faild" \(did you mean failed\?\)/],
    [["clean", "extra"], 2, /clean: unexpected argument "extra"/],
    [["--store", "mysql://x", "jobs"], 2, /--store: Cannot open a store .*"mysql:\/\/x"/],
    [["--store", "sqlite:", "jobs"], 2, /--store: Cannot open a store/],
    [["--store", `sqlite:${join(dir, "missing", "k.db")}`, "add", "x"], 1, /sqlite: Cannot open/],
    [["--store", `sqlite:${join(dir, "missing", "k.db")}`, "jobs"], 1, /no store at sqlite:/],
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
