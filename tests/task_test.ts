import { test } from "node:test";
import assert from "node:assert/strict";
import { type Job, kinetik, type Queue, Task } from "../mod.ts";
import { withTimeout } from "./_helpers.ts";

/** Runs `fn` with a fresh queue and closes it afterwards. */
async function withQueue(fn: (queue: Queue) => unknown): Promise<void> {
  const queue = kinetik({ interval: 20 });
  try {
    await fn(queue);
  } finally {
    await queue.close();
  }
}

/** The types of a job's events until its final one. */
async function watchTypes(queue: Queue, id: string): Promise<string[]> {
  const types: string[] = [];
  for await (const event of queue.watch(id)) types.push(event.type);
  return types;
}

const UNREADABLE =
  'as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is ';

test("queue.define() returns a Task with the name, tag default and no settings", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.ok(task instanceof Task);
    assert.equal(task.name, "send email");
    assert.deepEqual(task.config, { tag: "default" });
    assert.equal(task.handler, undefined);
    assert.equal(queue.tasks.get("send email"), task);
    assert.deepEqual(queue.tags, ["default"]);
  }));

test("queue.define() emits task:define with the task", () =>
  withQueue((queue) => {
    const defined: Task[] = [];
    queue.on("task:define", (task) => defined.push(task));
    const task = queue.define("send email");
    assert.deepEqual(defined, [task]);
  }));

test("on(), once(), off() and emit() take only the task's own event names (deno check)", () =>
  withQueue(async (queue) => {
    const task = queue.define("send email").action(() => {});
    const heard: string[] = [];
    const onCompleted = () => heard.push("completed");
    // @ts-expect-error "completed" is the job event's name; the task's is "complete"
    task.on("completed", onCompleted);
    // @ts-expect-error "nope" is not a task event
    task.once("nope", onCompleted);
    // @ts-expect-error "nope" is not a task event
    task.off("nope", onCompleted);
    // @ts-expect-error "nope" is not a task event
    task.emit("nope");
    // @ts-expect-error fail's listeners take (error, job)
    task.on("fail", (job: Job, error: Error) => heard.push(`${job.id} ${error.message}`));
    const completed = new Promise<Job>((resolve) => task.once("complete", resolve));
    queue.process("default");
    const job = await queue.create(task);
    assert.equal((await withTimeout(completed, 3000, "complete")).id, job.id);
    assert.deepEqual(heard, []);
  }));

test("queue.define() throws TypeError when the name is empty or contains a colon", () =>
  withQueue((queue) => {
    const prefix =
      'Cannot define task as a task name must be a non-empty string without ":": current value is ';
    assert.throws(() => queue.define(""), new TypeError(`${prefix}""`));
    assert.throws(() => queue.define("email:send"), new TypeError(`${prefix}"email:send"`));
    assert.equal(queue.tasks.size, 0);
  }));

test("tag(), desc(), timeout(), retry() and action() return the task for chaining", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    const action = async () => {};
    const chained = task.tag("messaging").desc("Sends one email").timeout("30s").retry("10s", 3)
      .action(action);
    assert.equal(chained, task);
    assert.deepEqual(task.config, {
      tag: "messaging",
      description: "Sends one email",
      timeout: 30_000,
      retry: { delay: 10_000, max: 3, backoff: "fixed" },
    });
    assert.equal(task.handler, action);
  }));

test("tag() throws TypeError when the tag is empty or not a string", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    const prefix = "Cannot tag task as the tag must be a non-empty string: current value is ";
    assert.throws(() => task.tag(""), new TypeError(`${prefix}""`));
    assert.throws(() => task.tag("  "), new TypeError(`${prefix}"  "`));
    assert.throws(() => task.tag(5 as unknown as string), new TypeError(`${prefix}5`));
    assert.equal(task.config.tag, "default");
  }));

test("desc() throws TypeError when the description is not a string", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.throws(
      () => task.desc(undefined as unknown as string),
      new TypeError(
        "Cannot describe task as the description must be a string: current value is undefined",
      ),
    );
    assert.equal(task.desc("").config.description, "");
  }));

test("timeout() reads milliseconds and duration strings", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.equal(task.timeout(250).config.timeout, 250);
    assert.equal(task.timeout("2m").config.timeout, 120_000);
  }));

test("timeout() throws RangeError when the duration is 0 or negative", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.throws(
      () => task.timeout(0),
      new RangeError("Cannot use timeout as it must be > 0: current value is 0"),
    );
    assert.throws(
      () => task.timeout("0s"),
      new RangeError('Cannot use timeout as it must be > 0: current value is "0s"'),
    );
    assert.throws(
      () => task.timeout(-5),
      new RangeError(
        "Cannot use timeout as it must be a finite duration >= 0: current value is -5",
      ),
    );
    assert.equal(task.config.timeout, undefined);
  }));

test("timeout() throws TypeError when the duration is unreadable", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.throws(
      () => task.timeout("a while"),
      new TypeError(`Cannot read timeout ${UNREADABLE}"a while"`),
    );
  }));

test("retry(delay, max) sets a fixed policy, unlimited when max is unset or Infinity", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.deepEqual(task.retry("10s", 3).config.retry, {
      delay: 10_000,
      max: 3,
      backoff: "fixed",
    });
    assert.deepEqual(task.retry(500).config.retry, {
      delay: 500,
      max: undefined,
      backoff: "fixed",
    });
    assert.equal(task.retry("1s", Infinity).config.retry?.max, undefined);
    assert.equal(task.retry("1s", 0).config.retry?.max, 0);
  }));

test("retry({ delay, max, backoff }) sets the policy from options", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    task.retry({ delay: "1m", max: 5, backoff: "exponential" });
    assert.deepEqual(task.config.retry, { delay: 60_000, max: 5, backoff: "exponential" });
    task.retry({ delay: 100 });
    assert.deepEqual(task.config.retry, { delay: 100, max: undefined, backoff: "fixed" });
  }));

test("retry() throws TypeError when the backoff is unknown", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.throws(
      () => task.retry({ delay: "1s", backoff: "linear" as "fixed" }),
      new TypeError(
        'Cannot retry as backoff must be "fixed" or "exponential": current value is "linear"',
      ),
    );
    assert.equal(task.config.retry, undefined);
  }));

test("retry() throws RangeError when max is negative or not an integer", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    const prefix = "Cannot retry as max must be an integer >= 0: current value is ";
    assert.throws(() => task.retry("1s", -1), new RangeError(`${prefix}-1`));
    assert.throws(() => task.retry("1s", 1.5), new RangeError(`${prefix}1.5`));
    assert.throws(() => task.retry({ delay: "1s", max: NaN }), new RangeError(`${prefix}NaN`));
    assert.equal(task.config.retry, undefined);
  }));

test("retry() throws TypeError or RangeError when the delay is unreadable or negative", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    assert.throws(
      () => task.retry("later", 3),
      new TypeError(`Cannot read retry delay ${UNREADABLE}"later"`),
    );
    assert.throws(
      () => task.retry(-1),
      new RangeError(
        "Cannot use retry delay as it must be a finite duration >= 0: current value is -1",
      ),
    );
    assert.equal(task.config.retry, undefined);
  }));

test("rate() and concurrency() set the task's limits and return the task", () =>
  withQueue((queue) => {
    const task = queue.define("call api");
    assert.equal(task.rate(10, "1m").concurrency(3), task);
    assert.deepEqual(task.config.rate, { max: 10, per: 60_000 });
    assert.equal(task.config.concurrency, 3);
    task.rate(1, 500);
    assert.deepEqual(task.config.rate, { max: 1, per: 500 });
  }));

test("rate() and concurrency() throw RangeError or TypeError for bad limits", () =>
  withQueue((queue) => {
    const task = queue.define("call api");
    const cases: [() => unknown, ErrorConstructor, string][] = [
      [
        () => task.rate(0, "1s"),
        RangeError,
        "Cannot limit task as the rate's max must be an integer >= 1: current value is 0",
      ],
      [
        () => task.rate(1.5, "1s"),
        RangeError,
        "Cannot limit task as the rate's max must be an integer >= 1: current value is 1.5",
      ],
      [
        () => task.rate("2" as never, "1s"),
        RangeError,
        'Cannot limit task as the rate\'s max must be an integer >= 1: current value is "2"',
      ],
      [
        () => task.rate(1, 0),
        RangeError,
        "Cannot limit task as the rate window must be at least 1ms: current value is 0",
      ],
      [() => task.rate(1, "soon"), TypeError, `Cannot read rate window ${UNREADABLE}"soon"`],
      [
        () => task.rate(1, -5),
        RangeError,
        "Cannot use rate window as it must be a finite duration >= 0: current value is -5",
      ],
      [
        () => task.concurrency(0),
        RangeError,
        "Cannot limit task as concurrency must be an integer >= 1: current value is 0",
      ],
      [
        () => task.concurrency(Infinity),
        RangeError,
        "Cannot limit task as concurrency must be an integer >= 1: current value is Infinity",
      ],
    ];
    for (const [call, type, message] of cases) {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof type, String(error));
        assert.equal((error as Error).message, message);
        return true;
      });
    }
    assert.equal(task.config.rate, undefined, "nothing was set");
    assert.equal(task.config.concurrency, undefined);
  }));

test("action() throws TypeError when it is not given a function", () =>
  withQueue((queue) => {
    const task = queue.define("send email");
    const prefix = "Cannot set action as it must be a function: current value is ";
    assert.throws(() => task.action("run" as never), new TypeError(`${prefix}"run"`));
    assert.throws(() => task.action(undefined as never), new TypeError(`${prefix}undefined`));
    assert.equal(task.handler, undefined);
  }));

test("config is a frozen copy that changing does not change the task", () =>
  withQueue((queue) => {
    const task = queue.define("send email").tag("messaging").retry("1s", 2).rate(5, "1s");
    const config = task.config;
    assert.equal(Object.isFrozen(config), true);
    assert.throws(() => {
      (config as { tag: string }).tag = "other";
    }, TypeError);
    config.retry!.max = 99;
    config.rate!.max = 99;
    assert.equal(task.config.tag, "messaging");
    assert.equal(task.config.retry?.max, 2);
    assert.equal(task.config.rate?.max, 5);
    assert.notEqual(task.config, config);
  }));

test("queue.tags lists distinct tags in task definition order", () =>
  withQueue((queue) => {
    queue.define("a").tag("reports");
    queue.define("b").tag("messaging");
    queue.define("c").tag("reports");
    queue.define("d");
    assert.deepEqual(queue.tags, ["reports", "messaging", "default"]);
  }));

test("queue.tags follows a task's tag changes", () =>
  withQueue((queue) => {
    const first = queue.define("a").tag("reports");
    queue.define("b").tag("messaging");
    first.tag("messaging");
    assert.deepEqual(queue.tags, ["messaging"]);
    first.tag("audit");
    assert.deepEqual(queue.tags, ["audit", "messaging"]);
  }));

test("queue.tags cannot be set: assigning throws TypeError in strict mode", () =>
  withQueue((queue) => {
    queue.define("a").tag("reports");
    assert.throws(() => {
      (queue as unknown as { tags: string[] }).tags = ["hacked"];
    }, TypeError);
    queue.tags.push("local copy");
    assert.deepEqual(queue.tags, ["reports"]);
  }));

test("tag() after process() lets a running processor take the task's jobs", () =>
  withQueue(async (queue) => {
    const task = queue.define("send email").tag("later").action(() => {});
    queue.process("messaging");
    const job = await queue.create("send email", { to: "ford@example.com" });
    task.tag("messaging");
    const types = await withTimeout(watchTypes(queue, job.id), 2000);
    assert.deepEqual(types, ["started", "completed"]);
    assert.equal((await queue.get(job.id))?.status, "completed");
  }));
