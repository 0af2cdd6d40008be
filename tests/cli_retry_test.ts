import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, type Queue } from "../mod.ts";
import { runOn } from "./_cli_run.ts";

/** A queue with jobs that failed: `email` (tag messaging) ×3, `resize` (media) ×2, one timeout. */
async function failedQueue(): Promise<Queue> {
  const queue = kinetik({ interval: "1h" });
  queue.define("email").tag("messaging").action(() => {});
  queue.define("resize").tag("media").action(() => {});
  const { store } = queue;
  const jobs = await queue.createMany([
    ...Array.from({ length: 3 }, () => ({ task: "email" })),
    ...Array.from({ length: 3 }, () => ({ task: "resize" })),
  ]);
  const { jobs: leased } = await store.claim({
    groups: [["email", "resize"]],
    limit: jobs.length,
    worker: "w",
    leaseMs: 1_000,
    now: Date.now(),
  });
  await store.settle(leased.map((job, i) => ({
    id: job.id,
    token: job.token,
    outcome: i === leased.length - 1 ? "timeout" as const : "failed" as const,
    now: Date.now(),
    error: { message: "no" },
    logs: [],
  })));
  return queue;
}

test("kinetik retry --status failed --yes requeues every failed job and prints the count", async () => {
  const queue = await failedQueue();
  try {
    assert.deepEqual(await runOn(queue, ["retry", "--status", "failed", "--yes"]), {
      code: 0,
      stdout: "Requeued 5 failed jobs.\n",
      stderr: "",
    });
    assert.equal(await queue.count({ status: "queued" }), 5);
    assert.equal(await queue.count({ status: "timeout" }), 1);
  } finally {
    await queue.close();
  }
});

test("kinetik retry --status asks first, and a no leaves every job as it was", async () => {
  const queue = await failedQueue();
  try {
    const asked: string[] = [];
    const no = await runOn(queue, ["retry", "--status", "failed,timeout"], {
      confirm: (question) => (asked.push(question), Promise.resolve(false)),
    });
    assert.deepEqual(asked, ["Retry 6 failed/timeout jobs? [y/N] "]);
    assert.deepEqual(no, { code: 1, stdout: "", stderr: "Nothing retried.\n" });
    assert.equal(await queue.count({ status: "queued" }), 0);
    const yes = await runOn(queue, ["retry", "--status", "timeout"], {
      confirm: () => Promise.resolve(true),
    });
    assert.equal(yes.stdout, "Requeued 1 timeout job.\n");
  } finally {
    await queue.close();
  }
});

test("kinetik retry --status without --yes is a usage error when nobody can be asked", async () => {
  const queue = await failedQueue();
  try {
    const { code, stderr } = await runOn(queue, ["retry", "--status", "failed"]);
    assert.equal(code, 2);
    assert.equal(stderr, "kinetik: retry: would requeue 5 failed jobs; pass --yes to confirm\n");
    assert.equal(await queue.count({ status: "failed" }), 5);
  } finally {
    await queue.close();
  }
});

test("kinetik retry --status narrows by --tasks and --tags, and --json prints the count", async () => {
  const queue = await failedQueue();
  try {
    const byTag = await runOn(queue, ["retry", "--status", "failed", "--tags", "media", "-y"]);
    assert.equal(byTag.stdout, "Requeued 2 failed jobs.\n");
    assert.equal(await queue.count({ status: "queued", task: "resize" }), 2);
    const json = await runOn(queue, [
      "retry",
      "--status=failed",
      "--tasks",
      "email",
      "--yes",
      "--json",
    ]);
    assert.deepEqual(JSON.parse(json.stdout), {
      requeued: 3,
      status: ["failed"],
      tasks: ["email"],
    });
    const none = await runOn(queue, ["retry", "--status", "failed", "--tags", "nowhere"]);
    assert.deepEqual([none.code, none.stdout], [0, "Requeued 0 failed jobs.\n"]);
  } finally {
    await queue.close();
  }
});

test("kinetik retry refuses an id with --status, options without --status, bad statuses", async () => {
  const queue = await failedQueue();
  try {
    const both = await runOn(queue, ["retry", "1", "--status", "failed"]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /retry takes a job id or --status, not both/);
    const tasks = await runOn(queue, ["retry", "1", "--tasks", "email"]);
    assert.deepEqual([tasks.code, tasks.stderr], [
      2,
      "kinetik: retry: --tasks needs --status; see kinetik retry --help\n",
    ]);
    const bad = await runOn(queue, ["retry", "--status", "completed"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown status "completed".*use one of failed, timeout, cancelled/);
    const empty = await runOn(queue, ["retry", "--status", ","]);
    assert.equal(empty.code, 2);
    assert.deepEqual(await runOn(queue, ["retry"]), {
      code: 2,
      stdout: "",
      stderr: "kinetik: retry needs a job id or --status: kinetik retry ID | --status failed\n",
    });
    const help = await runOn(queue, ["retry", "--help"]);
    assert.match(help.stdout, /Usage: kinetik retry ID \| --status S1,S2 \[options\]/);
    assert.match(help.stdout, /-y, --yes/);
  } finally {
    await queue.close();
  }
});

test("kinetik retry ID still requeues one job", async () => {
  const queue = await failedQueue();
  try {
    const [failed] = await Array.fromAsync(queue.fetch({ status: "failed" }, { limit: 1 }));
    const one = await runOn(queue, ["retry", failed.id]);
    assert.deepEqual([one.code, one.stdout], [0, `Requeued job ${failed.id} (${failed.task}).\n`]);
    assert.equal((await runOn(queue, ["retry", failed.id])).code, 1, "already queued");
  } finally {
    await queue.close();
  }
});
