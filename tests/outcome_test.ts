import { test } from "node:test";
import assert from "node:assert/strict";
import { kinetik } from "../mod.ts";
import { JobRun } from "../src/job_run.ts";
import { ManualClock } from "../src/manual_clock.ts";
import {
  backoffDelay,
  canRetry,
  decide,
  isOwnOutcome,
  settlementFor,
  stallLimit,
  toError,
  toJobError,
} from "../src/outcome.ts";
import type { LeasedJob } from "../src/store.ts";
import type { Job } from "../src/job.ts";
import type { Settlement } from "../src/store.ts";
import type { RetryPolicy, TaskConfig } from "../src/task.ts";

const fixed: RetryPolicy = { delay: 10_000, max: 2, backoff: "fixed" };
const exponential: RetryPolicy = { delay: 1000, backoff: "exponential" };

test("toJobError() stores a string as the message", () => {
  assert.deepEqual(toJobError("mail server down"), { message: "mail server down" });
});

test("toJobError() stores an Error's message, and its code as a string when it has one", () => {
  assert.deepEqual(toJobError(new Error("boom")), { message: "boom" });
  const error = Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
  assert.deepEqual(toJobError(error), { message: "refused", code: "ECONNREFUSED" });
  const numbered = Object.assign(new Error("not found"), { code: 404 });
  assert.deepEqual(toJobError(numbered), { message: "not found", code: "404" });
});

test("toJobError() reads message and code from a plain object", () => {
  assert.deepEqual(toJobError({ message: "bad input", code: "EINVAL" }), {
    message: "bad input",
    code: "EINVAL",
  });
});

test("toJobError() falls back to String() when an object has no string message", () => {
  assert.deepEqual(toJobError({ reason: "x" }), { message: "[object Object]" });
  assert.deepEqual(toJobError({ message: 42, code: true }), { message: "[object Object]" });
});

test("toJobError() stores other values as their String()", () => {
  assert.deepEqual(toJobError(42), { message: "42" });
  assert.deepEqual(toJobError(undefined), { message: "undefined" });
  assert.deepEqual(toJobError(null), { message: "null" });
});

test("toError() builds an Error with the stored message and code", () => {
  const error = toError({ message: "refused", code: "ECONNREFUSED" });
  assert.ok(error instanceof Error);
  assert.equal(error.message, "refused");
  assert.equal((error as Error & { code?: string }).code, "ECONNREFUSED");
});

test('toError() says "Job failed" without a code when nothing was stored', () => {
  const error = toError(undefined);
  assert.equal(error.message, "Job failed");
  assert.equal("code" in error, false);
});

test("backoffDelay() returns the delay every time when the backoff is fixed", () => {
  assert.equal(backoffDelay(fixed, 1, () => 0.5), 10_000);
  assert.equal(backoffDelay(fixed, 5, () => 0.5), 10_000);
});

test("backoffDelay() keeps half to all of delay * 2^(n-1) when the backoff is exponential", () => {
  assert.equal(backoffDelay(exponential, 1, () => 0), 500);
  assert.equal(backoffDelay(exponential, 1, () => 1), 1000);
  assert.equal(backoffDelay(exponential, 2, () => 0), 1000);
  assert.equal(backoffDelay(exponential, 2, () => 1), 2000);
  assert.equal(backoffDelay(exponential, 3, () => 0), 2000);
  assert.equal(backoffDelay(exponential, 3, () => 0.5), 3000);
  assert.equal(backoffDelay(exponential, 3, () => 1), 4000);
});

test("backoffDelay() stays within the bounds for any random value", () => {
  for (let attempt = 1; attempt <= 6; attempt++) {
    const full = 1000 * 2 ** (attempt - 1);
    const delay = backoffDelay(exponential, attempt);
    assert.ok(delay >= full / 2 && delay <= full, `attempt ${attempt}: ${delay}`);
  }
});

test("backoffDelay() stops doubling after 30 doublings", () => {
  const policy: RetryPolicy = { delay: 1, backoff: "exponential" };
  assert.equal(backoffDelay(policy, 100, () => 1), 2 ** 30);
});

test("canRetry() allows runs up to max retries, then refuses", () => {
  assert.equal(canRetry(fixed, 1), true);
  assert.equal(canRetry(fixed, 2), true);
  assert.equal(canRetry(fixed, 3), false);
  assert.equal(canRetry({ delay: 0, max: 0, backoff: "fixed" }, 1), false);
});

test("canRetry() always allows a retry when max is unset", () => {
  assert.equal(canRetry(exponential, 1), true);
  assert.equal(canRetry(exponential, 1000), true);
});

test("canRetry() refuses when there is no retry policy", () => {
  assert.equal(canRetry(undefined, 1), false);
});

test("stallLimit() allows one run more than the retry policy", () => {
  assert.equal(stallLimit({ tag: "default" }), 2);
  assert.equal(stallLimit({ tag: "default", retry: fixed }), 4);
  assert.equal(stallLimit({ tag: "default", retry: { delay: 0, max: 0, backoff: "fixed" } }), 2);
});

test("stallLimit() is 0 (never fail) when retries are unlimited", () => {
  assert.equal(stallLimit({ tag: "default", retry: exponential }), 0);
});

test("decide() completes with the elapsed time in the message", () => {
  const config: TaskConfig = { tag: "default" };
  assert.deepEqual(decide({ kind: "completed" }, config, 1, 15), {
    outcome: "completed",
    message: "Completed in 15ms",
  });
  assert.equal(decide({ kind: "completed" }, config, 1, 1500).message, "Completed in 1.5s");
  assert.equal(decide({ kind: "completed" }, config, 1, 1000).message, "Completed in 1s");
});

test("decide() retries a failure with retries left after the backoff", () => {
  const config: TaskConfig = { tag: "default", retry: fixed };
  const error = Object.assign(new Error("refused"), { code: "ECONNREFUSED" });
  assert.deepEqual(decide({ kind: "failed", error }, config, 2, 5), {
    outcome: "retry",
    error: { message: "refused", code: "ECONNREFUSED" },
    retryIn: 10_000,
    message: "Failed: refused; retry 2 in 10s",
  });
});

test("decide() fails for good when the retries are spent", () => {
  const config: TaskConfig = { tag: "default", retry: fixed };
  assert.deepEqual(decide({ kind: "failed", error: "boom" }, config, 3, 5), {
    outcome: "failed",
    error: { message: "boom" },
    message: "Failed: boom",
  });
});

test("decide() fails at once when the task has no retry policy", () => {
  const decision = decide({ kind: "failed", error: "boom" }, { tag: "default" }, 1, 5);
  assert.equal(decision.outcome, "failed");
  assert.equal(decision.retryIn, undefined);
});

test("decide() records a timeout with the limit and code ETIMEOUT", () => {
  const config: TaskConfig = { tag: "default", timeout: 30_000, retry: fixed };
  assert.deepEqual(decide({ kind: "timeout" }, config, 1, 30_000), {
    outcome: "timeout",
    error: { message: "Timed out after 30s", code: "ETIMEOUT" },
    message: "Timed out after 30s",
  });
  const short: TaskConfig = { tag: "default", timeout: 250 };
  assert.equal(decide({ kind: "timeout" }, short, 1, 250).message, "Timed out after 250ms");
});

test("decide() releases the job when the run was aborted by a stopping worker", () => {
  const decision = decide({ kind: "aborted", cause: "shutdown" }, { tag: "default" }, 1, 5);
  assert.deepEqual(decision, { outcome: "release", message: "Released: the worker is stopping" });
});

test("toJobError() ignores a DOMException's legacy numeric code", () => {
  assert.deepEqual(toJobError(new DOMException("Timed out", "TimeoutError")), {
    message: "Timed out",
  });
});

const LEASED: LeasedJob = {
  id: "7",
  task: "report",
  data: {},
  status: "processing",
  created: 0,
  attempts: 1,
  priority: 0,
  started: 100,
  token: "t-7",
};

/** A run of job `job` of a task "report" that retries once after 1s. */
async function withReportRun(
  job: LeasedJob,
  fn: (run: JobRun) => void,
): Promise<void> {
  const queue = kinetik();
  const task = queue.define("report").retry("1s", 1).action(() => {});
  try {
    fn(new JobRun(job, task, new ManualClock(0), { onLog: () => {}, onProgress: () => {} }));
  } finally {
    await queue.close();
  }
}

test("settlementFor() carries a completed run's value as result", () =>
  withReportRun(LEASED, (run) => {
    const settlement = settlementFor(run, { kind: "completed", value: { rows: 3 } }, 200);
    assert.equal(settlement.outcome, "completed");
    assert.deepEqual(settlement.result, { rows: 3 });
    const none = settlementFor(run, { kind: "completed" }, 200);
    assert.equal("result" in none, false, "no value, no result");
  }));

test("settlementFor() fails a run whose value is not JSON, retried by policy", () =>
  withReportRun(LEASED, (run) => {
    const settlement = settlementFor(run, { kind: "completed", value: { n: 1n } }, 200);
    assert.equal(settlement.outcome, "retry");
    assert.equal(settlement.result, undefined);
    assert.match(settlement.error!.message, /^Cannot store job result as .*JSON/);
    assert.equal(settlement.runAt, 1_200);
  }));

test("settlementFor() decides by the job's own retry policy over the task's", () =>
  withReportRun({ ...LEASED, retry: { delay: 5, max: 0, backoff: "fixed" } }, (run) => {
    const settlement = settlementFor(run, { kind: "failed", error: "no" }, 200);
    assert.equal(settlement.outcome, "failed", "the job allows no retry");
  }));
const claimed: Job = {
  id: "7",
  task: "mail",
  data: null,
  status: "processing",
  created: 1000,
  started: 2000,
  attempts: 2,
  priority: 0,
};
const settled = (fields: Partial<Settlement>): Settlement => ({
  id: "7",
  token: "t",
  outcome: "completed",
  now: 3000,
  logs: [],
  ...fields,
});

test("isOwnOutcome() recognises the record a lost-reply settle left: same attempt, same finish", () => {
  const completed = { ...claimed, status: "completed" as const, finished: 3000 };
  assert.equal(isOwnOutcome(settled({}), claimed, completed), true);
  const failed = { ...claimed, status: "failed" as const, finished: 3000 };
  assert.equal(isOwnOutcome(settled({ outcome: "failed" }), claimed, failed), true);
  const retry = settled({ outcome: "retry", runAt: 13_000 });
  assert.equal(
    isOwnOutcome(retry, claimed, { ...claimed, status: "delayed", runAt: 13_000 }),
    true,
  );
  const released = { ...claimed, status: "queued" as const, attempts: 1 };
  assert.equal(isOwnOutcome(settled({ outcome: "release" }), claimed, released), true);
});

test("isOwnOutcome() refuses what a cancel, another worker or a later attempt wrote", () => {
  const cancelled = { ...claimed, status: "cancelled" as const, finished: 3000 };
  assert.equal(isOwnOutcome(settled({}), claimed, cancelled), false);
  const later = { ...claimed, status: "completed" as const, finished: 3000, attempts: 3 };
  assert.equal(isOwnOutcome(settled({}), claimed, later), false);
  const other = { ...claimed, status: "completed" as const, finished: 2500 };
  assert.equal(isOwnOutcome(settled({}), claimed, other), false);
  const stalled = { ...claimed, status: "queued" as const };
  assert.equal(isOwnOutcome(settled({ outcome: "release" }), claimed, stalled), false);
  const retried = settled({ outcome: "retry", runAt: 13_000 });
  assert.equal(
    isOwnOutcome(retried, claimed, { ...claimed, status: "delayed", runAt: 9_000 }),
    false,
  );
});
