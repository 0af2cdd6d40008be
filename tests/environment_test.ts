import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { environment, type Job, kinetik, type Queue } from "../mod.ts";
import { parseTagList } from "../src/middleware/environment.ts";
import { nextEvent, watchAll } from "./_helpers.ts";

/** Runs `fn` with `QUEUE` set to `value` (unset when undefined), restoring it afterwards. */
async function withQueueVariable(
  value: string | undefined,
  fn: () => unknown,
  name = "QUEUE",
): Promise<void> {
  const original = process.env[name];
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
  try {
    await fn();
  } finally {
    if (original === undefined) delete process.env[name];
    else process.env[name] = original;
  }
}

/** A queue with a task in each of the tags `reports`, `messaging` and `other`. */
function queueWithTasks(ran: string[]): Queue {
  const queue = kinetik({ interval: 20 });
  for (const [task, tag] of [["report", "reports"], ["email", "messaging"], ["misc", "other"]]) {
    queue.define(task).tag(tag).action(() => {
      ran.push(task);
    });
  }
  return queue;
}

test("parseTagList() splits a comma list, trimming and dropping empty tags", () => {
  assert.deepEqual(parseTagList("messaging"), ["messaging"]);
  assert.deepEqual(parseTagList(" messaging , ,reports,, "), ["messaging", "reports"]);
});

test("parseTagList() returns no tags when the value is unset or empty", () => {
  assert.deepEqual(parseTagList(undefined), []);
  assert.deepEqual(parseTagList(""), []);
  assert.deepEqual(parseTagList(" , "), []);
});

test("environment() processes the QUEUE tags in order, before the given tags", () =>
  withQueueVariable("messaging, reports", async () => {
    const ran: string[] = [];
    const queue = queueWithTasks(ran);
    try {
      const outside = await queue.create("misc");
      const inside = await queue.create("report");
      const processor = environment(["other"], { handleSignals: false })(queue);
      assert.deepEqual(processor?.tags, ["messaging", "reports"]);
      await watchAll(queue, inside.id);
      await nextEvent(queue, "empty");
      assert.deepEqual(ran, ["report"]);
      assert.equal((await queue.get(inside.id))?.status, "completed");
      assert.equal((await queue.get(outside.id))?.status, "queued");
    } finally {
      await queue.close();
    }
  }));

test("environment() returns undefined and processes nothing without QUEUE or tags", () =>
  withQueueVariable(undefined, async () => {
    const ran: string[] = [];
    const queue = queueWithTasks(ran);
    try {
      await queue.create("report");
      assert.equal(environment([], { handleSignals: false })(queue), undefined);
      assert.equal(queue.use(environment(undefined, { handleSignals: false })), queue);
      // A processor started now runs the job: one that environment() had started would have
      // claimed it first.
      const started = nextEvent(queue.tasks.get("report")!, "start");
      const witness = queue.process("reports");
      const [job] = (await started) as [Job];
      assert.equal(job.worker, witness.worker);
      assert.deepEqual(ran, ["report"]);
    } finally {
      await queue.close();
    }
  }));

test("environment() falls back to the given tags when QUEUE is unset or empty", () =>
  withQueueVariable("", async () => {
    const queue = queueWithTasks([]);
    try {
      const fromList = environment(["reports", "other"], { handleSignals: false })(queue);
      assert.deepEqual(fromList?.tags, ["reports", "other"]);
      const fromString = environment("messaging, reports", { handleSignals: false })(queue);
      assert.deepEqual(fromString?.tags, ["messaging", "reports"]);
    } finally {
      await queue.close();
    }
  }));

test("environment() reads the variable named by options.variable instead of QUEUE", () =>
  withQueueVariable("messaging", () =>
    withQueueVariable("other", async () => {
      const queue = queueWithTasks([]);
      try {
        const options = { variable: "KINETIK_TEST_TAGS", handleSignals: false };
        assert.deepEqual(environment([], options)(queue)?.tags, ["other"]);
      } finally {
        await queue.close();
      }
    }, "KINETIK_TEST_TAGS")));
