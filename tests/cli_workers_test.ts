import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik } from "../mod.ts";
import { runOn } from "./_cli_run.ts";

test("kinetik workers lists live workers as a table, or says there are none", async () => {
  const queue = kinetik({ interval: "1h" });
  queue.define("work").tag("jobs").action(() => {});
  try {
    assert.deepEqual(await runOn(queue, ["workers"]), {
      code: 0,
      stdout: "No live workers.\n",
      stderr: "",
    });
    const empty = new Promise((resolve) => queue.once("empty", resolve));
    const processor = queue.process("jobs");
    await empty;
    const { code, stdout } = await runOn(queue, ["workers"]);
    assert.equal(code, 0);
    assert.match(stdout, /^WORKER +HOST +PID +TAGS +TASKS +STARTED +SEEN$/m);
    assert.match(stdout, new RegExp(`^${processor.worker} +\\S+ +\\d+ +jobs +1 +`, "m"));
  } finally {
    await queue.close();
  }
});

test("kinetik workers --json prints the worker records", async () => {
  const queue = kinetik({ interval: "1h" });
  queue.define("work").action(() => {});
  try {
    const empty = new Promise((resolve) => queue.once("empty", resolve));
    const processor = queue.process("default");
    await empty;
    const workers = JSON.parse((await runOn(queue, ["workers", "--json"])).stdout);
    assert.deepEqual(workers.map((w: { id: string }) => w.id), [processor.worker]);
    assert.deepEqual(workers[0].tasks, [{ name: "work", tag: "default" }]);
    assert.equal((await runOn(queue, ["workers", "extra"])).code, 2);
  } finally {
    await queue.close();
  }
});
