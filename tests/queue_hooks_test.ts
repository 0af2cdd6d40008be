import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik, type RunEnd } from "../mod.ts";
import { deferred, PATIENCE, waitFor, withTimeout } from "./_helpers.ts";

test("hook() beforeSave runs in the create() call and its job is the one saved", async () => {
  const queue = kinetik({ interval: "1h" });
  let current: string | undefined;
  queue.hook({ beforeSave: (job) => ({ ...job, trace: { tenant: current ?? "none" } }) });
  try {
    current = "acme";
    const creating = queue.create("t");
    const many = queue.createMany([{ task: "t" }, { task: "u" }]);
    current = undefined;
    const job = await creating;
    assert.deepEqual(job.id && (await queue.get(job.id))?.trace, { tenant: "acme" });
    for (const saved of await many) {
      assert.deepEqual((await queue.get(saved.id))?.trace, { tenant: "acme" });
    }
  } finally {
    await queue.close();
  }
});

test("hook() beforeSave that throws or returns no job is reported and the job saved as it was", async () => {
  const queue = kinetik({ interval: "1h" });
  const errors: unknown[] = [];
  queue.on("error", (error) => errors.push(error));
  queue.hook({
    beforeSave() {
      throw new Error("hook bug");
    },
  });
  queue.hook({ beforeSave: () => undefined as never });
  try {
    const job = await queue.create("t", { n: 1 });
    assert.deepEqual((await queue.get(job.id))?.data, { n: 1 });
    assert.equal((await queue.get(job.id))?.trace, undefined);
    assert.equal((errors[0] as Error).message, "hook bug");
    assert.equal(
      (errors[1] as Error).message,
      "Cannot save a job as beforeSave returned no job: current value is undefined",
    );
  } finally {
    await queue.close();
  }
});

test("hook() aroundRun wraps each run, the first added outermost, and run() tells how it ended", async () => {
  const queue = kinetik({ interval: "1h" });
  const seen: string[] = [];
  const ends: RunEnd[] = [];
  for (const name of ["outer", "inner"]) {
    queue.hook({
      async aroundRun(job, run) {
        seen.push(`${name} before ${job.task}`);
        const end = await run();
        if (name === "inner") ends.push(end);
        seen.push(`${name} after ${end.outcome}`);
      },
    });
  }
  queue.define("ok").action(() => void seen.push("action ok"));
  queue.define("bad").action(() => {
    seen.push("action bad");
    throw new Error("nope");
  });
  try {
    const ok = await queue.create("ok");
    queue.process("default");
    await queue.wait(ok.id, { timeout: PATIENCE });
    const bad = await queue.create("bad");
    await queue.wait(bad.id, { timeout: PATIENCE });
    // Nothing waits for a wrapper: the outer one may end after the job is recorded.
    await waitFor(() => seen.length === 10, PATIENCE, "both wrappers to end");
    assert.deepEqual(seen, [
      "outer before ok",
      "inner before ok",
      "action ok",
      "inner after completed",
      "outer after completed",
      "outer before bad",
      "inner before bad",
      "action bad",
      "inner after failed",
      "outer after failed",
    ]);
    assert.deepEqual(ends, [
      { outcome: "completed" },
      { outcome: "failed", error: { message: "nope" } },
    ]);
  } finally {
    await queue.close();
  }
});

test("hook() aroundRun run() resolves to cancelled when the job is cancelled while it runs", async () => {
  const queue = kinetik({ interval: "1h" });
  const end = deferred<RunEnd>();
  const running = deferred();
  queue.hook({ aroundRun: async (_job, run) => end.resolve(await run()) });
  queue.define("long").action(() => {
    running.resolve();
    return new Promise(() => {});
  });
  try {
    const job = await queue.create("long");
    queue.process("default");
    await withTimeout(running.promise, PATIENCE, "the run to start");
    await queue.cancel(job.id);
    assert.deepEqual(await withTimeout(end.promise, PATIENCE, "run() to resolve"), {
      outcome: "cancelled",
    });
  } finally {
    await queue.close();
  }
});

test("hook() aroundRun that throws or never calls run() still lets the job run", async () => {
  const queue = kinetik({ interval: "1h" });
  const errors: unknown[] = [];
  queue.on("error", (error) => errors.push(error));
  queue.hook({ aroundRun: () => undefined });
  queue.hook({
    aroundRun() {
      throw new Error("wrapper bug");
    },
  });
  queue.hook({ aroundRun: () => Promise.reject(new Error("late bug")) });
  let runs = 0;
  queue.define("t").action(() => void runs++);
  try {
    const job = await queue.create("t");
    queue.process("default");
    assert.equal((await queue.wait(job.id, { timeout: PATIENCE })).status, "completed");
    assert.equal(runs, 1, "run once");
    assert.deepEqual(errors.map((e) => (e as Error).message), ["wrapper bug", "late bug"]);
  } finally {
    await queue.close();
  }
});

test("hook() throws a TypeError for hooks that are not functions", () => {
  const queue = kinetik();
  assert.throws(() => queue.hook({ beforeSave: "trace" as never }), {
    name: "TypeError",
    message: 'Cannot add hooks as beforeSave must be a function: current value is "trace"',
  });
  assert.throws(() => queue.hook(null as never), {
    name: "TypeError",
    message: "Cannot add hooks as they must be an object: current value is null",
  });
  return queue.close();
});
