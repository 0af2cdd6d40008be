import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik } from "../mod.ts";
import { runOn } from "./_cli_run.ts";

test("kinetik show prints a completed job's result, and --json carries it", async () => {
  const queue = kinetik({ interval: "1h" });
  queue.define("count").action(() => ({ rows: 3 }));
  try {
    const job = await queue.create("count");
    queue.process("default");
    await queue.wait(job.id);
    const { code, stdout } = await runOn(queue, ["show", job.id]);
    assert.equal(code, 0);
    assert.match(stdout, /^ {2}result +\{"rows":3\}$/m);
    assert.deepEqual(JSON.parse((await runOn(queue, ["show", job.id, "--json"])).stdout).result, {
      rows: 3,
    });
  } finally {
    await queue.close();
  }
});

test("kinetik show prints a falsy result, and no result line when there is none", async () => {
  const queue = kinetik({ interval: "1h" });
  queue.define("zero").action(() => 0);
  queue.define("nothing").action(() => {});
  try {
    const [zero, nothing] = await queue.createMany([{ task: "zero" }, { task: "nothing" }]);
    queue.process("default");
    await queue.wait(zero.id);
    await queue.wait(nothing.id);
    assert.match((await runOn(queue, ["show", zero.id])).stdout, /^ {2}result +0$/m);
    assert.doesNotMatch((await runOn(queue, ["show", nothing.id])).stdout, /result/);
  } finally {
    await queue.close();
  }
});
