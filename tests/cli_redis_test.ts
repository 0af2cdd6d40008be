/**
 * The `kinetik` binary end to end on a `redis://` store: a private `redis-server`, and a
 * worker queue on it whose heartbeat `tasks` lists and whose events `watch` prints.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { type Job, Queue } from "../mod.ts";
import { openStore } from "../src/open_store.ts";
import { runBinary, spawnChild } from "./_cli_process.ts";
import { waitFor } from "./_helpers.ts";
import { assertOneLineError, buildKinetik, withQueue } from "./_kinetik_binary.ts";
import { redisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-cli-redis-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const built = buildKinetik(dir);
const skip = unavailable("the kinetik binary tests", typeof built === "string" ? built : undefined);
const bin = typeof built === "string" ? "" : built.bin;
const redis = skip ? skip : await redisServer();
const skipRedis = skip ??
  unavailable("the kinetik tests on Redis", typeof redis === "string" ? redis : undefined);
after(() => typeof redis === "string" ? undefined : redis.dispose());

/** Runs the binary with `KINETIK_STORE=store`. */
function kinetik(store: string, ...args: string[]) {
  return runBinary(bin, args, { env: { KINETIK_STORE: store } });
}

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
      const watching = spawnChild(bin, ["watch", "--json", "--count", "3", "--timeout", "20s"], {
        env: { KINETIK_STORE: url },
      });
      // It prints this once it has subscribed (and ends by itself after 20 s at most).
      await watching.printedOnStderr(`Watching ${url}`);
      const next = JSON.parse(
        (await kinetik(url, "add", "send email", '{"to":"arthur@example.com"}', "--json")).stdout,
      ) as Job;
      assert.equal(await watching.exited, 0, watching.errors());
      const events = watching.output().trim().split("\n").map((line) => JSON.parse(line));
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
    assert.equal(clean.stdout, `Removed 2 completed jobs from ${url}.\n`);
    await withQueue(
      url,
      async (queue) => assert.equal(await queue.count({ status: "completed" }), 0),
    );
  },
);
