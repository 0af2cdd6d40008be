/**
 * `cli()`: the script's own queue as the `kinetik` command line, in process (a memory queue,
 * output captured) and as a real script run by this runtime.
 */

import assert from "node:assert/strict";
import process from "node:process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { cli, kinetik, type Queue } from "../mod.ts";
import { runBinary } from "./_cli_process.ts";

/** A queue with two tasks defined, as a worker script has. */
function scriptQueue(): Queue {
  const queue = kinetik();
  queue.define("send email").tag("messaging").desc("Sends an email").timeout("30s")
    .action(() => {});
  queue.define("resize image").tag("media").action(() => {});
  return queue;
}

/** Runs the command line on `queue`, capturing what it prints. */
async function run(queue: Queue, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await cli({
    args,
    exit: false,
    program: "queue.ts",
    stdout: (text) => stdout += text,
    stderr: (text) => stderr += text,
  })(queue);
  return { code, stdout, stderr };
}

test("cli() does nothing when the script has no arguments", async () => {
  const queue = scriptQueue();
  assert.equal(cli({ args: [] })(queue), undefined);
  assert.equal(queue.use(cli({ args: [] })), queue);
  const job = await queue.create("send email", { to: "ford@example.com" });
  assert.equal((await queue.get(job.id))?.status, "queued", "the queue is still open");
  await queue.close();
});

test("cli() tasks lists the script's own task definitions, without any worker", async () => {
  const queue = scriptQueue();
  const { code, stdout } = await run(queue, "tasks");
  assert.equal(code, 0);
  assert.match(stdout, /^TASK +TAG +WORKERS +TIMEOUT +RETRY +RATE +CONCURRENCY +DESCRIPTION$/m);
  assert.match(stdout, /^resize image +media +0 +- +- +- +-$/m);
  assert.match(stdout, /^send email +messaging +0 +30s +- +- +- +Sends an email$/m);
  const json = JSON.parse((await run(queue, "tasks", "--json")).stdout);
  assert.deepEqual(
    json.tasks.map((t: { name: string; isLocal: boolean }) => [t.name, t.isLocal]),
    [["resize image", true], ["send email", true]],
  );
  await queue.close();
});

test("cli() add, jobs and show work on the script's queue and know its tags", async () => {
  const queue = scriptQueue();
  const added = await run(queue, "add", "send email", '{"to":"ford@example.com"}');
  assert.deepEqual(added, { code: 0, stdout: "Created job 1 (send email), queued.\n", stderr: "" });
  assert.deepEqual((await queue.get("1"))?.data, { to: "ford@example.com" });
  const jobs = JSON.parse((await run(queue, "jobs", "--json", "--tags", "messaging")).stdout);
  assert.deepEqual(jobs.tasks.map((row: { tag: string; task: string }) => [row.tag, row.task]), [
    ["messaging", "send email"],
  ]);
  assert.equal(jobs.status.queued, 1);
  const show = await run(queue, "show", "1");
  assert.match(show.stdout, /^Job 1 +send email +queued\n/);
  await queue.close();
});

test("cli() refuses --store, unknown commands and unknown jobs, naming the script", async () => {
  const queue = scriptQueue();
  const store = await run(queue, "jobs", "--store", "memory:");
  assert.equal(store.code, 2);
  assert.equal(
    store.stderr,
    "queue.ts: --store cannot be used here: queue.ts works on its own queue\n",
  );
  const unknown = await run(queue, "taks");
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^queue\.ts: unknown command "taks" \(did you mean tasks\?\)/);
  const missing = await run(queue, "cancel", "7");
  assert.deepEqual([missing.code, missing.stderr], [1, "queue.ts: no job with id 7\n"]);
  const help = await run(queue, "--help");
  assert.match(help.stdout, /^Usage: queue\.ts COMMAND \[options\]$/m);
  assert.equal(await queue.count(), 0, "nothing was created");
  await queue.close();
});

test("cli() closes the queue and sets process.exitCode by default", async () => {
  const queue = scriptQueue();
  const saved = process.exitCode;
  try {
    const code = await cli({ args: ["show", "1"], stdout: () => {}, stderr: () => {} })(queue);
    assert.equal(code, 1);
    assert.equal(process.exitCode, 1);
  } finally {
    process.exitCode = saved ?? 0; // Bun keeps a 1 when given undefined
  }
  await assert.rejects(queue.create("send email"), /queue is closed/);
});

test(
  "cli() reads the script's own arguments when run as a script",
  { timeout: 20_000 },
  async () => {
    const file = fileURLToPath(new URL("./fixtures/cli_queue.ts", import.meta.url));
    const runtime = "Deno" in globalThis ? ["run", "-A", file] : [file];
    // Each run is killed after 15 s (its code is then null), so a hung script fails the test.
    const script = (...args: string[]) => runBinary(process.execPath, [...runtime, ...args]);
    const jobs = await script("memory:", "jobs", "--json");
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.equal(JSON.parse(jobs.stdout).total, 0);
    const tasks = await script("memory:", "tasks");
    assert.equal(tasks.code, 0, tasks.stderr);
    assert.match(tasks.stdout, /^send email +messaging +0 +- +- +- +- +Sends an email$/m);
    const bad = await script("memory:", "jobs", "--bogus");
    assert.equal(bad.code, 2);
    assert.equal(
      bad.stderr,
      "cli_queue.ts: jobs: unknown option --bogus; see cli_queue.ts jobs --help\n",
    );
    const idle = await script("memory:");
    assert.equal(idle.code, 0, "no arguments, no QUEUE: the script just ends");
    assert.equal(idle.stdout, "");
  },
);
