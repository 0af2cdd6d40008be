/**
 * `kinetik add` (`src/cli/add.ts`) in process: options as the help shows them, and the
 * warning for a task nobody runs. The binary end to end is `cli_test.ts`.
 */

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { cli, kinetik, openStore, Queue } from "../mod.ts";
import { runCaptured } from "./_cli_process.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-add-"));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newStore = () => `sqlite:${join(dir, `k${++files}.db`)}`;

/** A queue on `url` with a live worker for "send email" recorded, as a running worker has. */
async function withWorker(url: string): Promise<Queue> {
  const queue = new Queue(await openStore(url));
  const now = Date.now();
  await queue.store.heartbeat!({
    id: "worker-1",
    tags: ["messaging"],
    tasks: [{ name: "send email", tag: "messaging" }],
    started: now,
    seen: now,
  }, 60_000);
  return queue;
}

test("add --priority -1 creates a job of priority -1, as the help's example does", async () => {
  const url = newStore();
  const added = await runCaptured([
    "add",
    "report",
    "--key",
    "daily-2024-06-01",
    "--priority",
    "-1",
    "--json",
    "--store",
    url,
  ]);
  assert.equal(added.code, 0, added.stderr);
  const job = JSON.parse(added.stdout);
  assert.deepEqual([job.task, job.priority, job.key], ["report", -1, "daily-2024-06-01"]);
  const queue = new Queue(await openStore(url));
  assert.equal((await queue.get(job.id))?.priority, -1);
  await queue.close();
  const bad = await runCaptured(["add", "report", "--priority", "-x", "--store", url]);
  assert.equal(bad.code, 2);
});

test("add warns, with a suggestion, of a task that no live worker runs", async () => {
  const url = newStore();
  const worker = await withWorker(url);
  try {
    const typo = await runCaptured(["add", "sned email", "--store", url]);
    assert.equal(typo.code, 0, "the job is created all the same");
    assert.equal(typo.stdout, `Created job 1 (sned email) in ${url}, queued.\n`);
    assert.equal(
      typo.stderr,
      `kinetik: warning: no live worker runs task "sned email" on ${url} ` +
        `(did you mean "send email"?); the job waits until a worker for it starts\n`,
    );
    const json = await runCaptured(["add", "sned email", "--json", "--store", url]);
    assert.match(JSON.parse(json.stderr).warning.message, /did you mean "send email"\?/);
    assert.equal(JSON.parse(json.stdout).task, "sned email");
    const unlike = await runCaptured(["add", "report", "--store", url]);
    assert.match(unlike.stderr, /no live worker runs task "report" on sqlite:.*; the job waits/);
    assert.doesNotMatch(unlike.stderr, /did you mean/);
    const known = await runCaptured(["add", "send email", "--store", url]);
    assert.equal(known.stderr, "", "no warning for a task a worker runs");
    assert.equal(await worker.count(), 4);
  } finally {
    await worker.close();
  }
});

test("add under cli() knows the script's own task definitions", async () => {
  const queue = kinetik();
  queue.define("send email").action(() => {});
  const run = async (...args: string[]) => {
    let stderr = "";
    const code = await cli({ args, exit: false, stdout: () => {}, stderr: (t) => stderr += t })(
      queue,
    );
    return { code, stderr };
  };
  assert.deepEqual(await run("add", "send email"), { code: 0, stderr: "" });
  const typo = await run("add", "send emial");
  assert.equal(typo.code, 0);
  assert.match(
    typo.stderr,
    /warning: neither this script nor a live worker defines task "send emial" \(did you mean "send email"\?\)/,
  );
  await queue.close();
});
