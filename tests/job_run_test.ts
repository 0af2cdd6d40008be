import { test } from "node:test";
import assert from "node:assert/strict";
import { type Action, JobContext, kinetik, type Task } from "../mod.ts";
import type { JobProgress, LogLine } from "../src/job.ts";
import { JobRun, type RunListener } from "../src/job_run.ts";
import { MAX_DATA_DEPTH } from "../src/json_data.ts";
import { ManualClock } from "../src/manual_clock.ts";
import type { LeasedJob } from "../src/store.ts";

const NOW = Date.UTC(2026, 0, 1);

const JOB: LeasedJob = {
  id: "job-1",
  task: "send email",
  data: { to: "ford@example.com" },
  status: "processing",
  created: NOW - 1000,
  attempts: 2,
  priority: 0,
  started: NOW,
  token: "token-1",
};

interface Heard {
  logs: LogLine[];
  progress: JobProgress[];
}

/**
 * Runs `fn` with a run of a task whose action is `action` (and timeout, when given), on a
 * ManualClock; closes the queue that defined the task afterwards.
 */
async function withRun(
  action: Action,
  fn: (run: JobRun, clock: ManualClock, heard: Heard, task: Task) => unknown,
  timeout?: number,
): Promise<void> {
  const queue = kinetik();
  const clock = new ManualClock(NOW);
  const task = queue.define("send email").action(action);
  if (timeout !== undefined) task.timeout(timeout);
  const heard: Heard = { logs: [], progress: [] };
  const listener: RunListener = {
    onLog: (_run, line) => heard.logs.push(line),
    onProgress: (_run, progress) => heard.progress.push(progress),
  };
  try {
    await fn(new JobRun(JOB, task, clock, listener), clock, heard, task);
  } finally {
    await queue.close();
  }
}

/** Whether `promise` has settled after pending callbacks ran. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(() => settled = true, () => settled = true);
  for (let i = 0; i < 10; i++) await Promise.resolve();
  return settled;
}

const never = () => new Promise<never>(() => {});

test("JobRun.context gives the action the record's fields and the attempt number", () =>
  withRun(() => {}, (run) => {
    assert.ok(run.context instanceof JobContext);
    assert.equal(run.context.id, "job-1");
    assert.equal(run.context.task, "send email");
    assert.deepEqual(run.context.data, { to: "ford@example.com" });
    assert.equal(run.context.attempt, 2);
    assert.equal(run.context.started, NOW);
    assert.equal(run.isOver, false);
  }));

test("JobRun.execute() completes when a sync action returns", () =>
  withRun((job) => void job.log("ran"), async (run, _clock, heard) => {
    assert.deepEqual(await run.execute(), { kind: "completed" });
    assert.equal(run.isOver, true);
    assert.deepEqual(heard.logs.map((line) => line.message), ["ran"]);
  }));

test("JobRun.execute() completes when an async action resolves, not before", async () => {
  let release!: () => void;
  await withRun(() => new Promise<void>((resolve) => release = resolve), async (run) => {
    const result = run.execute();
    assert.equal(await isSettled(result), false);
    assert.equal(run.isOver, false);
    release();
    assert.deepEqual(await result, { kind: "completed" });
  });
});

test("JobRun.execute() fails with the error a sync action throws", async () => {
  const error = new Error("smtp down");
  await withRun(() => {
    throw error;
  }, async (run) => {
    const result = await run.execute();
    assert.equal(result.kind, "failed");
    assert.equal((result as { error: unknown }).error, error);
  });
});

test("JobRun.execute() fails with the reason an async action rejects with", async () => {
  const error = new Error("bounced");
  await withRun(async () => {
    await Promise.resolve();
    throw error;
  }, async (run) => {
    assert.deepEqual(await run.execute(), { kind: "failed", error });
  });
});

test("JobRun.execute() completes when a (job, done) action calls done() later", async () => {
  let finish!: () => void;
  await withRun((_job, done) => void (finish = () => done()), async (run) => {
    const result = run.execute();
    assert.equal(await isSettled(result), false, "a done-form action ends when done is called");
    finish();
    assert.deepEqual(await result, { kind: "completed" });
  });
});

test("JobRun.execute() fails with the message when a (job, done) action calls done(string)", () =>
  withRun((_job, done) => done("no such user"), async (run) => {
    assert.deepEqual(await run.execute(), { kind: "failed", error: "no such user" });
  }));

test("JobRun.execute() fails with the Error a (job, done) action passes to done()", async () => {
  const error = Object.assign(new Error("quota"), { code: "EQUOTA" });
  await withRun((_job, done) => done(error), async (run) => {
    assert.deepEqual(await run.execute(), { kind: "failed", error });
  });
});

test("JobRun.execute() keeps the first outcome when done() is called twice", () =>
  withRun((_job, done) => {
    done();
    done(new Error("too late"));
  }, async (run) => {
    assert.deepEqual(await run.execute(), { kind: "completed" });
  }));

test("JobRun.execute() fails when a (job, done) action throws before calling done", async () => {
  const error = new TypeError("bad template");
  await withRun((_job, _done) => {
    throw error;
  }, async (run) => {
    assert.deepEqual(await run.execute(), { kind: "failed", error });
  });
});

test("JobRun.execute() fails when an async (job, done) action rejects", async () => {
  const error = new Error("rejected");
  await withRun(async (_job, _done) => {
    await Promise.resolve();
    throw error;
  }, async (run) => {
    assert.deepEqual(await run.execute(), { kind: "failed", error });
  });
});

test("JobRun.execute() waits for done() when an async (job, done) action resolves", async () => {
  let finish!: () => void;
  await withRun(async (_job, done) => {
    await Promise.resolve();
    finish = () => done();
  }, async (run) => {
    const result = run.execute();
    assert.equal(await isSettled(result), false);
    finish();
    assert.deepEqual(await result, { kind: "completed" });
  });
});

test("JobRun.execute() times out after the task's timeout and aborts the signal", () =>
  withRun(never, async (run, clock) => {
    const signal = run.signal;
    const result = run.execute();
    await clock.advance(999);
    assert.equal(await isSettled(result), false);
    assert.equal(signal.aborted, false);
    await clock.advance(1);
    assert.deepEqual(await result, { kind: "timeout" });
    assert.equal(signal.aborted, true);
    assert.ok(signal.reason instanceof DOMException);
    assert.equal(signal.reason.name, "TimeoutError");
    assert.equal(signal.reason.message, "Timed out after 1000 ms");
  }, 1000));

test("JobRun.execute() clears its timeout timer when the action ends in time", () =>
  withRun(() => {}, async (run, clock) => {
    assert.deepEqual(await run.execute(), { kind: "completed" });
    assert.equal(clock.pending, 0);
    assert.equal(run.signal.aborted, false);
  }, 1000));

test("JobRun.execute() ignores done() and a rejection after the timeout", async () => {
  let late!: () => void;
  await withRun((_job, done) => void (late = () => done(new Error("late"))), async (run, clock) => {
    const result = run.execute();
    await clock.advance(50);
    assert.deepEqual(await result, { kind: "timeout" });
    late();
    assert.equal(run.isOver, true);
  }, 50);
});

test("JobRun.signal is made lazily and already aborted when first read after a timeout", () =>
  withRun(never, async (run, clock) => {
    const result = run.execute();
    await clock.advance(10);
    assert.deepEqual(await result, { kind: "timeout" });
    const signal = run.signal;
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason.name, "TimeoutError");
    assert.equal(run.signal, signal, "the same signal on every read");
    assert.equal(run.context.signal, signal);
  }, 10));

test("JobRun.abort() during the run resolves aborted with the cause and aborts the signal", () =>
  withRun(never, async (run) => {
    const signal = run.context.signal;
    const result = run.execute();
    run.abort("cancel");
    assert.deepEqual(await result, { kind: "aborted", cause: "cancel" });
    assert.equal(run.isOver, true);
    assert.equal(signal.aborted, true);
    assert.equal(signal.reason.name, "AbortError");
    assert.equal(signal.reason.message, "Job cancelled");
  }));

test("JobRun.abort() names each cause in the signal's reason", async () => {
  const messages: Record<string, string> = {};
  for (const cause of ["cancel", "lease", "shutdown"] as const) {
    await withRun(never, async (run) => {
      const result = run.execute();
      run.abort(cause);
      assert.deepEqual(await result, { kind: "aborted", cause });
      messages[cause] = run.signal.reason.message;
    });
  }
  assert.deepEqual(messages, {
    cancel: "Job cancelled",
    lease: "Job lease lost",
    shutdown: "Worker stopped",
  });
});

test("JobRun.abort() before execute() resolves aborted without running the action", async () => {
  let ran = false;
  await withRun(() => void (ran = true), async (run) => {
    run.abort("cancel");
    assert.deepEqual(await run.execute(), { kind: "aborted", cause: "cancel" });
    assert.equal(ran, false);
    assert.equal(run.signal.aborted, true);
    assert.equal(run.signal.reason.name, "AbortError");
  });
});

test("JobRun.abort() wins over done() called from the signal's abort listener", () =>
  withRun((job, done) => {
    job.signal.addEventListener("abort", () => {
      job.log("stopping");
      done(job.signal.reason);
    });
  }, async (run, _clock, heard) => {
    const result = run.execute();
    run.abort("shutdown");
    assert.deepEqual(await result, { kind: "aborted", cause: "shutdown" });
    assert.deepEqual(heard.logs, [], "like after a timeout, the action's late log is ignored");
  }));

test("JobRun.abort() is ignored after the run is over or a first abort", () =>
  withRun(() => {}, async (run) => {
    assert.deepEqual(await run.execute(), { kind: "completed" });
    run.abort("cancel");
    assert.equal(run.signal.aborted, false);
  }));

test("JobRun.signal is already aborted with an AbortError when first read after abort()", () =>
  withRun(never, async (run) => {
    const result = run.execute();
    run.abort("lease");
    await result;
    assert.equal(run.signal.aborted, true);
    assert.equal(run.signal.reason.name, "AbortError");
    assert.equal(run.signal.reason.message, "Job lease lost");
  }));

test("JobRun.abort() keeps the first reason when a timeout follows", () =>
  withRun(never, async (run, clock) => {
    const result = run.execute();
    run.abort("cancel");
    await clock.advance(100);
    assert.deepEqual(await result, { kind: "aborted", cause: "cancel" });
    assert.equal(run.signal.reason.name, "AbortError");
    assert.equal(clock.pending, 0, "the timeout timer is cleared");
  }, 100));

test("job.log() emits the line to the listener and buffers it with the clock's time", () =>
  withRun((job) => {
    job.log("sent", { id: 7 });
    job.log("done");
  }, async (run, _clock, heard) => {
    await run.execute();
    const expected = [{ time: NOW, message: "sent", data: { id: 7 } }, {
      time: NOW,
      message: "done",
    }];
    assert.deepEqual(heard.logs, expected);
    assert.deepEqual(run.logs, expected);
    assert.equal("data" in run.logs[1], false);
  }));

test("job.log() turns a non-string message into a string", () =>
  withRun((job) => job.log(42 as unknown as string), async (run, _clock, heard) => {
    await run.execute();
    assert.equal(heard.logs[0].message, "42");
  }));

test("job.log() throws TypeError naming the path when its data is not JSON", () =>
  withRun(() => {}, (run) => {
    assert.throws(() => run.context.log("bad", { fn: () => {} }), {
      name: "TypeError",
      message: "Cannot log line as its data must be JSON-serialisable: data.fn is a function",
    });
    assert.throws(() => run.context.log("bad", [1n]), {
      name: "TypeError",
      message: "Cannot log line as its data must be JSON-serialisable: data[0] is a BigInt (1n)",
    });
    assert.deepEqual(run.logs, []);
  }));

test("job.log() with data that is not JSON fails the run when the action lets it throw", () =>
  withRun((job) => job.log("bad", { n: NaN }), async (run) => {
    const result = await run.execute();
    assert.equal(result.kind, "failed");
    const error = (result as { error: Error }).error;
    assert.ok(error instanceof TypeError);
    assert.match(error.message, /data\.n is NaN$/);
  }));

/** `levels` objects, one inside the other. */
function nested(levels: number): unknown {
  let value: unknown = 0;
  for (let i = 0; i < levels; i++) value = { [i % 10]: value };
  return value;
}

test("job.log() keeps data nested MAX_DATA_DEPTH levels deep", () =>
  withRun(() => {}, (run) => {
    const deep = nested(MAX_DATA_DEPTH);
    run.context.log("deep", deep);
    assert.equal(run.logs.length, 1);
    assert.equal(run.logs[0].data, deep);
  }));

test("job.log() throws RangeError naming the limit when its data is nested deeper", () =>
  withRun(() => {}, (run) => {
    assert.throws(() => run.context.log("too deep", nested(5_000)), {
      name: "RangeError",
      message: "Cannot log line as its data must be nested at most 1000 levels deep: " +
        "current value is nested more than 1000 levels deep",
    });
    assert.deepEqual(run.logs, []);
  }));

test("job.progress() emits to the listener and keeps the latest value", () =>
  withRun((job) => {
    job.progress(1, 10);
    job.progress(5, 10);
  }, async (run, _clock, heard) => {
    await run.execute();
    assert.deepEqual(heard.progress, [{ current: 1, total: 10 }, { current: 5, total: 10 }]);
    assert.deepEqual(run.progress, { current: 5, total: 10 });
  }));

test("job.progress() throws RangeError when a number is not finite or total is not positive", () =>
  withRun(() => {}, (run) => {
    const prefix =
      "Cannot report progress as current and total must be finite and total > 0: current value is ";
    for (
      const [current, total, shown] of [
        [NaN, 10, "NaN/10"],
        [1, Infinity, "1/Infinity"],
        [1, 0, "1/0"],
        [1, -5, "1/-5"],
      ] as const
    ) {
      assert.throws(() => run.context.progress(current, total), {
        name: "RangeError",
        message: prefix + shown,
      });
    }
    assert.equal(run.progress, undefined);
  }));

test("job.log() and job.progress() are ignored once the run is over", async () => {
  let job!: JobContext;
  await withRun((context) => void (job = context), async (run, _clock, heard) => {
    await run.execute();
    job.log("late", { fn: () => {} });
    job.progress(1, 2);
    job.progress(NaN, 0);
    assert.deepEqual(heard, { logs: [], progress: [] });
    assert.deepEqual(run.logs, []);
    assert.equal(run.progress, undefined);
  });
});

test("job.log() is ignored after a timeout while the action keeps going", async () => {
  let job!: JobContext;
  await withRun((context) => {
    job = context;
    return never();
  }, async (run, clock, heard) => {
    const result = run.execute();
    job.log("before");
    await clock.advance(20);
    assert.deepEqual(await result, { kind: "timeout" });
    job.log("after");
    job.progress(1, 1);
    assert.deepEqual(heard.logs.map((line) => line.message), ["before"]);
    assert.deepEqual(heard.progress, []);
  }, 20);
});

test("JobRun.note() buffers a line without telling the listener, also after the run", () =>
  withRun(() => {}, async (run, clock, heard) => {
    const line = run.note("Started (attempt 2)");
    await run.execute();
    await clock.advance(1500);
    run.note("Completed", { ms: 1500 });
    assert.deepEqual(line, { time: NOW, message: "Started (attempt 2)" });
    assert.deepEqual(run.logs, [line, {
      time: NOW + 1500,
      message: "Completed",
      data: { ms: 1500 },
    }]);
    assert.deepEqual(heard.logs, []);
  }));

test("JobRun.execute() completes with what a sync or async action returns", async () => {
  await withRun(() => ({ sent: 3 }), async (run) => {
    assert.deepEqual(await run.execute(), { kind: "completed", value: { sent: 3 } });
  });
  await withRun(() => Promise.resolve("ok"), async (run) => {
    assert.deepEqual(await run.execute(), { kind: "completed", value: "ok" });
  });
  await withRun(() => Promise.resolve(0), async (run) => {
    assert.deepEqual(await run.execute(), { kind: "completed", value: 0 });
  });
});

test("JobRun.execute() completes with the value a (job, done) action passes to done(null, value)", () =>
  withRun((_job, done) => done(null, [1, 2]), async (run) => {
    assert.deepEqual(await run.execute(), { kind: "completed", value: [1, 2] });
  }));

test("JobRun.execute() uses the job's own timeout over the task's", async () => {
  const queue = kinetik();
  const clock = new ManualClock(NOW);
  const task = queue.define("send email").timeout("1h").action(never);
  const listener: RunListener = { onLog: () => {}, onProgress: () => {} };
  try {
    const run = new JobRun({ ...JOB, timeout: 50 }, task, clock, listener);
    assert.equal(run.settings.timeout, 50);
    assert.equal(run.settings.tag, "default", "the task's other settings stay");
    const result = run.execute();
    await clock.advance(50);
    assert.deepEqual(await result, { kind: "timeout" });
    const plain = new JobRun(JOB, task, clock, listener);
    assert.equal(plain.settings, task.settings, "no override: the task's settings as they are");
  } finally {
    await queue.close();
  }
});

test("JobRun.settings takes the job's own retry policy over the task's", async () => {
  const queue = kinetik();
  const task = queue.define("send email").retry("1s", 1).action(() => {});
  const retry = { delay: 5, max: 9, backoff: "exponential" as const };
  try {
    const run = new JobRun({ ...JOB, retry }, task, new ManualClock(NOW), {
      onLog: () => {},
      onProgress: () => {},
    });
    assert.deepEqual(run.settings.retry, retry);
  } finally {
    await queue.close();
  }
});

test("JobRun.startFlush() carries the unwritten lines and new progress; endFlush(true) drops them", () =>
  withRun(never, async (run) => {
    run.execute();
    run.context.log("one");
    run.context.progress(1, 3);
    const lease = run.startFlush();
    assert.deepEqual(lease.logs?.map((line) => line.message), ["one"]);
    assert.deepEqual(lease.progress, { current: 1, total: 3 });
    assert.equal(lease.token, "token-1");
    run.context.log("two"); // written while the renewal is out
    const flushing = run.flushing!;
    run.endFlush(true);
    assert.equal(await isSettled(flushing), true);
    assert.equal(run.flushing, undefined);
    assert.deepEqual(run.logs.map((line) => line.message), ["two"]);
    const next = run.startFlush();
    assert.deepEqual(next.logs?.map((line) => line.message), ["two"]);
    assert.equal(next.progress, undefined, "the store has this progress already");
    run.endFlush(true);
    assert.deepEqual(run.startFlush(), { id: "job-1", token: "token-1" }, "nothing new");
    run.endFlush(true);
  }));

test("JobRun.endFlush(false) keeps the lines and progress for the next write", () =>
  withRun(never, (run) => {
    run.execute();
    run.context.log("kept");
    run.context.progress(2, 3);
    run.startFlush();
    run.endFlush(false);
    const again = run.startFlush();
    assert.deepEqual(again.logs?.map((line) => line.message), ["kept"]);
    assert.deepEqual(again.progress, { current: 2, total: 3 });
    run.endFlush(false);
  }));
