import { test } from "node:test";
import assert from "node:assert/strict";
import type { QueueEvent, QueueEventType } from "../src/events.ts";
import type { Job, JobError } from "../src/job.ts";
import { TaskRegistry } from "../src/task_registry.ts";
import type { Task } from "../src/task.ts";

/** A registry whose owner records reported errors and opened streams. */
function registry(): { tasks: TaskRegistry; errors: unknown[]; opened: string[] } {
  const errors: unknown[] = [];
  const opened: string[] = [];
  const tasks = new TaskRegistry({
    reportError: (error) => errors.push(error),
    openEvents: (task) => {
      opened.push(task);
      return new ReadableStream<QueueEvent>();
    },
  });
  return { tasks, errors, opened };
}

const noop = () => {};

const JOB: Job = {
  id: "1",
  task: "send email",
  data: { to: "ford@example.com" },
  status: "processing",
  created: 0,
  attempts: 1,
  priority: 0,
};

/** Every event `task` emits, as [name, ...args]. */
function record(task: Task): unknown[][] {
  const heard: unknown[][] = [];
  for (
    const name of [
      "start",
      "complete",
      "fail",
      "timeout",
      "log",
      "progress",
      "cancelled",
      "retry",
    ] as const
  ) {
    task.on(name, (...args: unknown[]) => heard.push([name, ...args]));
  }
  return heard;
}

function event(type: QueueEventType, extra: Partial<QueueEvent> = {}): QueueEvent {
  return { type, job: JOB, time: 5, ...extra };
}

test("TaskRegistry.tags lists distinct tags in definition order", () => {
  const { tasks } = registry();
  assert.deepEqual(tasks.tags, []);
  tasks.define("resize").tag("images");
  tasks.define("send email");
  tasks.define("thumbnail").tag("images");
  tasks.define("send sms").tag("messaging");
  assert.deepEqual(tasks.tags, ["images", "default", "messaging"]);
});

test("TaskRegistry.tagOf() maps each task to its current tag", () => {
  const { tasks } = registry();
  const email = tasks.define("send email");
  tasks.define("resize").tag("images");
  email.tag("messaging");
  assert.deepEqual([...tasks.tagOf()], [["send email", "messaging"], ["resize", "images"]]);
});

test("TaskRegistry.define() replaces a task of the same name, keeping its place", () => {
  const { tasks } = registry();
  const first = tasks.define("send email");
  tasks.define("resize");
  const second = tasks.define("send email");
  assert.notEqual(second, first);
  assert.equal(tasks.tasks.get("send email"), second);
  assert.deepEqual([...tasks.tasks.keys()], ["send email", "resize"]);
});

test("TaskRegistry.define() gives tasks the owner's event streams", () => {
  const { tasks, opened } = registry();
  tasks.define("send email").events();
  assert.deepEqual(opened, ["send email"]);
});

test("TaskRegistry.plan() groups only tasks with an action, in the given tag order", () => {
  const { tasks } = registry();
  const resize = tasks.define("resize").tag("images").action(noop);
  tasks.define("undefined action").tag("images");
  const email = tasks.define("send email").tag("messaging").action(noop);
  const sms = tasks.define("send sms").tag("messaging").action(noop);
  tasks.define("other").tag("elsewhere").action(noop);
  const plan = tasks.plan(["messaging", "images", "empty"]);
  assert.deepEqual(plan.groups, [["send email", "send sms"], ["resize"], []]);
  assert.deepEqual(
    [...plan.tasks],
    [["send email", email], ["send sms", sms], ["resize", resize]],
  );
  assert.deepEqual(Object.keys(plan.maxAttempts), ["send email", "send sms", "resize"]);
});

test("TaskRegistry.plan() sets maxAttempts from each task's retry policy (stallLimit)", () => {
  const { tasks } = registry();
  tasks.define("no retry").action(noop);
  tasks.define("three retries").retry("1s", 3).action(noop);
  tasks.define("endless").retry("1s").action(noop);
  tasks.define("no retries").retry("1s", 0).action(noop);
  assert.deepEqual(tasks.plan(["default"]).maxAttempts, {
    "no retry": 2,
    "three retries": 5,
    "endless": 0,
    "no retries": 2,
  });
});

test("TaskRegistry.plan() returns the cached plan until something changes", () => {
  const { tasks } = registry();
  tasks.define("send email").action(noop);
  const plan = tasks.plan(["default"]);
  assert.equal(tasks.plan(["default"]), plan);
  assert.notEqual(tasks.plan(["default", "images"]), plan, "a plan per tag list");
});

test("TaskRegistry.plan() of the same tags array is rebuilt when a task changes or is defined", () => {
  const { tasks } = registry();
  const tags = ["default"]; // a processor keeps one array and asks with it every time
  const email = tasks.define("send email").action(noop);
  const plan = tasks.plan(tags);
  assert.equal(tasks.plan(tags), plan);
  email.tag("messaging");
  assert.deepEqual(tasks.plan(tags).groups, [[]]);
  tasks.define("send sms").action(noop);
  assert.deepEqual(tasks.plan(tags).groups, [["send sms"]]);
});

test("TaskRegistry.plan() is rebuilt when a task's tag changes", () => {
  const { tasks } = registry();
  const email = tasks.define("send email").action(noop);
  assert.deepEqual(tasks.plan(["messaging"]).groups, [[]]);
  email.tag("messaging");
  assert.deepEqual(tasks.plan(["messaging"]).groups, [["send email"]]);
});

test("TaskRegistry.plan() is rebuilt when a task gets an action or a new one", () => {
  const { tasks } = registry();
  const email = tasks.define("send email");
  assert.deepEqual(tasks.plan(["default"]).groups, [[]]);
  email.action(noop);
  const plan = tasks.plan(["default"]);
  assert.deepEqual(plan.groups, [["send email"]]);
  email.action(() => {});
  assert.notEqual(tasks.plan(["default"]), plan);
});

test("TaskRegistry.plan() is rebuilt when a task is defined or redefined", () => {
  const { tasks } = registry();
  const first = tasks.define("send email").action(noop);
  assert.equal(tasks.plan(["default"]).tasks.get("send email"), first);
  const second = tasks.define("send email").action(noop);
  tasks.define("send sms").action(noop);
  const plan = tasks.plan(["default"]);
  assert.equal(plan.tasks.get("send email"), second);
  assert.deepEqual(plan.groups, [["send email", "send sms"]]);
});

test("TaskRegistry.plan() is rebuilt when a task's retry policy changes", () => {
  const { tasks } = registry();
  const email = tasks.define("send email").action(noop);
  assert.deepEqual(tasks.plan(["default"]).maxAttempts, { "send email": 2 });
  email.retry("1s");
  assert.deepEqual(tasks.plan(["default"]).maxAttempts, { "send email": 0 });
});

test("TaskRegistry.plan() carries the limits of limited tasks only, rebuilt when they change", () => {
  const { tasks } = registry();
  const api = tasks.define("call api").action(noop);
  tasks.define("send email").action(noop);
  assert.equal(tasks.plan(["default"]).limits, undefined, "no limits: nothing to carry");
  api.rate(10, "1m");
  assert.deepEqual(tasks.plan(["default"]).limits, {
    "call api": { rate: { max: 10, per: 60_000 } },
  });
  api.concurrency(2);
  assert.deepEqual(tasks.plan(["default"]).limits, {
    "call api": { rate: { max: 10, per: 60_000 }, concurrency: 2 },
  });
  assert.equal(tasks.plan(["other"]).limits, undefined, "only the plan's own tasks");
});

test("TaskRegistry.dispatch() emits started, completed, timeout, cancelled, retry with the job", () => {
  const { tasks } = registry();
  const heard = record(tasks.define("send email"));
  for (const type of ["started", "completed", "timeout", "cancelled", "retry"] as const) {
    tasks.dispatch(event(type));
  }
  assert.deepEqual(heard, [
    ["start", JOB],
    ["complete", JOB],
    ["timeout", JOB],
    ["cancelled", JOB],
    ["retry", JOB],
  ]);
});

test("TaskRegistry.dispatch() emits log with the job and the line", () => {
  const { tasks } = registry();
  const heard = record(tasks.define("send email"));
  const line = { time: 5, message: "sent", data: { id: 7 } };
  tasks.dispatch(event("log", { line }));
  assert.deepEqual(heard, [["log", JOB, line]]);
  assert.equal(heard[0][2], line);
});

test("TaskRegistry.dispatch() emits progress with the job, current and total", () => {
  const { tasks } = registry();
  const heard = record(tasks.define("send email"));
  tasks.dispatch(event("progress", { progress: { current: 3, total: 4 } }));
  assert.deepEqual(heard, [["progress", JOB, 3, 4]]);
});

test("TaskRegistry.dispatch() passes the original Error of a local failure to fail", () => {
  const { tasks } = registry();
  const heard = record(tasks.define("send email"));
  const error = Object.assign(new TypeError("bad address"), { code: "EADDR" });
  tasks.dispatch(event("failed", { error: { message: "bad address", code: "EADDR" } }), error);
  assert.equal(heard.length, 1);
  assert.equal(heard[0][0], "fail");
  assert.equal(heard[0][1], error);
  assert.equal(heard[0][2], JOB);
});

test("TaskRegistry.dispatch() builds an Error from the stored error otherwise", () => {
  const { tasks } = registry();
  const heard = record(tasks.define("send email"));
  const stored: JobError = { message: "quota exceeded", code: "EQUOTA" };
  tasks.dispatch(event("failed", { error: stored }));
  tasks.dispatch(event("failed", { error: { message: "thrown string" } }), "thrown string");
  tasks.dispatch(event("failed"));
  const errors = heard.map(([, error]) => error as Error & { code?: string });
  assert.ok(errors.every((error) => error instanceof Error));
  assert.deepEqual(
    errors.map((error) => [error.message, error.code]),
    [["quota exceeded", "EQUOTA"], ["thrown string", undefined], ["Job failed", undefined]],
  );
  assert.ok(heard.every(([name, , job]) => name === "fail" && job === JOB));
});

test("TaskRegistry.dispatch() ignores created and stalled events", () => {
  const { tasks } = registry();
  const heard = record(tasks.define("send email"));
  tasks.dispatch(event("created"));
  tasks.dispatch(event("stalled"));
  tasks.dispatch({ ...event("stalled"), job: { ...JOB, status: "failed" } });
  assert.deepEqual(heard, []);
});

test("TaskRegistry.dispatch() ignores events of tasks not defined here", () => {
  const { tasks, errors } = registry();
  const heard = record(tasks.define("send email"));
  tasks.dispatch({ ...event("completed"), job: { ...JOB, task: "resize" } });
  assert.deepEqual(heard, []);
  assert.deepEqual(errors, []);
});

test("TaskRegistry.dispatch() reports a throwing listener to the owner and goes on", () => {
  const { tasks, errors } = registry();
  const task = tasks.define("send email");
  const boom = new Error("listener broke");
  const heard: string[] = [];
  task.on("complete", () => {
    throw boom;
  });
  task.on("complete", () => void heard.push("second"));
  tasks.dispatch(event("completed"));
  assert.deepEqual(errors, [boom]);
  assert.deepEqual(heard, ["second"]);
});
