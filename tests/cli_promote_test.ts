import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik } from "../mod.ts";
import { runOn } from "./_cli_run.ts";

test("kinetik promote ID makes a delayed job ready now", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("report", {}, "1d");
    const promoted = await runOn(queue, ["promote", job.id]);
    assert.deepEqual(promoted, {
      code: 0,
      stdout: `Promoted job ${job.id} (report): ready now.\n`,
      stderr: "",
    });
    const record = await queue.get(job.id);
    assert.equal(record?.status, "queued");
    assert.equal(record?.runAt, undefined);
  } finally {
    await queue.close();
  }
});

test("kinetik promote --json prints the promoted record", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("report", {}, "1h");
    const { code, stdout } = await runOn(queue, ["promote", job.id, "--json"]);
    assert.equal(code, 0);
    assert.equal(JSON.parse(stdout).status, "queued");
  } finally {
    await queue.close();
  }
});

test("kinetik promote exits 1 for a job that is not delayed or does not exist", async () => {
  const queue = kinetik();
  try {
    const job = await queue.create("report");
    assert.deepEqual(await runOn(queue, ["promote", job.id]), {
      code: 1,
      stdout: "",
      stderr: `kinetik: job ${job.id} is queued; only delayed jobs can be promoted\n`,
    });
    assert.equal((await runOn(queue, ["promote", "404"])).stderr, "kinetik: no job with id 404\n");
    assert.equal((await runOn(queue, ["promote", "1", "2"])).code, 2);
  } finally {
    await queue.close();
  }
});
