import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik } from "../mod.ts";
import { runOn } from "./_cli_run.ts";
import { deferred } from "./_helpers.ts";

test("kinetik remove ID deletes a job and its log, and says what it was", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("send email", { to: "a@b.c" }, "1d");
    const removed = await runOn(queue, ["remove", job.id]);
    assert.deepEqual(removed, {
      code: 0,
      stdout: `Removed job ${job.id} (send email, delayed).\n`,
      stderr: "",
    });
    assert.equal(await queue.get(job.id), undefined);
    assert.deepEqual(await queue.logs(job.id), []);
  } finally {
    await queue.close();
  }
});

test("kinetik remove ID of a running job cancels its run", async () => {
  const queue = kinetik({ interval: "1h" });
  const running = deferred<AbortSignal>();
  queue.define("long").action((job) => (running.resolve(job.signal), new Promise(() => {})));
  try {
    const job = await queue.create("long");
    queue.process("default");
    const signal = await running.promise;
    const removed = await runOn(queue, ["remove", job.id]);
    assert.equal(
      removed.stdout,
      `Removed job ${job.id} (long, processing); its run was cancelled.\n`,
    );
    assert.equal(signal.aborted, true);
  } finally {
    await queue.close({ grace: 0 });
  }
});

test("kinetik remove --json prints the removed record", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("t", { n: 1 });
    const { code, stdout } = await runOn(queue, ["remove", job.id, "--json"]);
    assert.equal(code, 0);
    assert.deepEqual(JSON.parse(stdout), { removed: job });
  } finally {
    await queue.close();
  }
});

test("kinetik remove exits 1 for an unknown job and 2 without an id", async () => {
  const queue = kinetik();
  try {
    assert.deepEqual(await runOn(queue, ["remove", "42"]), {
      code: 1,
      stdout: "",
      stderr: "kinetik: no job with id 42\n",
    });
    const usage = await runOn(queue, ["remove"]);
    assert.equal(usage.code, 2);
    assert.equal(usage.stderr, "kinetik: remove needs a job id: kinetik remove ID\n");
    const help = await runOn(queue, ["remove", "--help"]);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^kinetik remove: Delete a job and its log/);
    assert.match(help.stdout, /Usage: kinetik remove ID \[options\]/);
  } finally {
    await queue.close();
  }
});
