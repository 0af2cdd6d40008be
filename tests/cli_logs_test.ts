import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, type Queue } from "../mod.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { runOn } from "./_cli_run.ts";
import { deferred, waitFor } from "./_helpers.ts";

const TIME = /^\d\d:\d\d:\d\d {2}/;

/** Starts `kinetik logs --follow ID …` on `queue`; its output can be read while it runs. */
function follow(queue: Queue, args: string[], signal = new AbortController().signal) {
  let stdout = "";
  let stderr = "";
  const done = runCli(["logs", "--follow", ...args], {
    queue,
    signal,
    isTTY: false,
    stdout: (text) => stdout += text,
    stderr: (text) => stderr += text,
  });
  return { done, output: () => stdout, errors: () => stderr };
}

test("kinetik logs ID prints the stored lines, oldest first, with their data", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("t");
    await queue.store.appendLogs(job.id, [{ time: Date.now(), message: "note", data: { a: 1 } }]);
    const { code, stdout } = await runOn(queue, ["logs", job.id]);
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0], TIME);
    assert.equal(lines[0].replace(TIME, ""), "Created");
    assert.equal(lines[1].replace(TIME, ""), 'note {"a":1}');
    const json = JSON.parse((await runOn(queue, ["logs", job.id, "--json"])).stdout);
    assert.deepEqual(json.map((line: { message: string }) => line.message), ["Created", "note"]);
  } finally {
    await queue.close();
  }
});

test("kinetik logs --follow prints new lines as they come and ends when the job is final", async () => {
  const queue = kinetik({ interval: "1h" });
  const step = deferred();
  const started = deferred();
  queue.define("steps").action(async (job) => {
    job.log("step 1", { of: 2 });
    started.resolve();
    await step.promise;
    job.log("step 2");
  });
  try {
    const job = await queue.create("steps");
    queue.process("default");
    await started.promise;
    const following = follow(queue, [job.id]);
    await waitFor(() => following.output().includes("Created"), 3_000, "the stored lines");
    step.resolve(); // "step 2" is emitted live; the rest reaches the store when the job ends
    assert.equal(await following.done, 0);
    const messages = following.output().trimEnd().split("\n").map((line) => line.replace(TIME, ""));
    assert.deepEqual(messages.slice(0, 4), [
      "Created",
      "step 2",
      "Started (attempt 1)",
      'step 1 {"of":2}',
    ]);
    assert.match(messages[4], /^Completed in \d+ms$/);
    assert.equal(messages.length, 5, "step 2 is printed once, live");
  } finally {
    await queue.close();
  }
});

test("kinetik logs --follow --json prints one JSON line per log line", async () => {
  const queue = kinetik({ interval: "1h" });
  const gate = deferred();
  queue.define("one").action(async (job) => {
    await gate.promise;
    job.log("live line", { n: 1 });
  });
  try {
    const job = await queue.create("one");
    const following = runOn(queue, ["logs", job.id, "-f", "--json"]);
    queue.process("default");
    await waitFor(async () => (await queue.get(job.id))?.status === "processing");
    gate.resolve();
    const { code, stdout } = await following;
    assert.equal(code, 0);
    const lines = stdout.trimEnd().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines[0].message, "Created");
    assert.deepEqual(lines.find((line) => line.message === "live line")?.data, { n: 1 });
    assert.match(lines.at(-1).message, /^Completed in/);
  } finally {
    await queue.close();
  }
});

test("kinetik logs --follow of a final job prints its log and ends", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("t");
    await queue.cancel(job.id);
    const { code, stdout } = await runOn(queue, ["logs", job.id, "--follow"]);
    assert.equal(code, 0);
    assert.deepEqual(stdout.trimEnd().split("\n").map((l) => l.replace(TIME, "")), [
      "Created",
      "Cancelled",
    ]);
  } finally {
    await queue.close();
  }
});

test("kinetik logs --follow stops on the signal (Ctrl-C) and fails when the job is removed", async () => {
  const queue = kinetik({ interval: "1h" });
  try {
    const job = await queue.create("waiting", {}, "1d");
    const stop = new AbortController();
    const stopped = follow(queue, [job.id], stop.signal);
    await waitFor(() => stopped.output().includes("Created"), 3_000, "the stored lines");
    stop.abort();
    assert.equal(await stopped.done, 0);
    const removed = follow(queue, [job.id]);
    await waitFor(() => removed.output().includes("Created"), 3_000, "the stored lines");
    await queue.remove(job.id);
    assert.equal(await removed.done, 1);
    assert.match(removed.errors(), /^kinetik: Cannot wait for job as it was removed/);
  } finally {
    await queue.close();
  }
});

test("kinetik logs exits 1 for an unknown job and 2 without an id", async () => {
  const queue = kinetik();
  try {
    assert.deepEqual(await runOn(queue, ["logs", "9"]), {
      code: 1,
      stdout: "",
      stderr: "kinetik: no job with id 9\n",
    });
    assert.equal((await runOn(queue, ["logs"])).code, 2);
    assert.match((await runOn(queue, ["logs", "--help"])).stdout, /-f, --follow/);
  } finally {
    await queue.close();
  }
});
