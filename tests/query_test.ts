import assert from "node:assert/strict";
import { test } from "node:test";
import type { Job } from "../src/job.ts";
import {
  compareIds,
  compareJobs,
  compareStrings,
  compileQuery,
  MAX_QUERY_DEPTH,
  queryHints,
  validateQuery,
} from "../src/query.ts";

function job(id: string, fields: Partial<Job> = {}): Job {
  return {
    id,
    task: "t",
    data: null,
    status: "queued",
    created: 0,
    attempts: 0,
    priority: 0,
    ...fields,
  };
}

test("validateQuery() returns the query, or an empty one when none is given", () => {
  const query = { status: "queued", "data.user": { $in: [1, 2] } };
  assert.equal(validateQuery(query), query);
  assert.deepEqual(validateQuery(), {});
});

test("validateQuery() refuses $where with a TypeError showing the value", () => {
  assert.throws(
    () => validateQuery({ $where: "this.data.user == 1" }),
    (error: unknown) => {
      assert.ok(error instanceof TypeError);
      assert.match(error.message, /^Cannot query jobs as operator \$where is not supported/);
      assert.match(error.message, /this\.data\.user == 1/);
      return true;
    },
  );
});

test("validateQuery() refuses unknown operators however deep they are", () => {
  assert.throws(
    () => validateQuery({ $or: [{ status: "queued" }, { "data.n": { $expr: 1 } }] }),
    {
      name: "TypeError",
      message: 'Cannot query jobs as operator $expr is not supported: current value is {"$expr":1}',
    },
  );
  assert.throws(() => validateQuery({ data: { $function: {} } }), TypeError);
});

test("validateQuery() refuses functions and names their path", () => {
  assert.throws(
    () => validateQuery({ data: { check: () => true } }),
    {
      name: "TypeError",
      message:
        "Cannot query jobs as functions are not allowed: current value of data.check is a function",
    },
  );
  assert.throws(() => validateQuery({ $or: [() => true] }), /\$or\[0\] is a function/);
});

test("validateQuery() refuses a query that is not an object", () => {
  for (const bad of [null, "status", 42, [{ status: "queued" }]]) {
    assert.throws(
      () => validateQuery(bad),
      (error: unknown) =>
        error instanceof TypeError &&
        error.message.startsWith(
          "Cannot query jobs as the query must be an object: current value is",
        ) &&
        error.message.endsWith(JSON.stringify(bad)),
      `expected ${JSON.stringify(bad)} to be refused`,
    );
  }
});

test("validateQuery() refuses bigint values as not JSON", () => {
  assert.throws(() => validateQuery({ "data.n": 1n }), /data\.n must be JSON: current value is 1/);
});

test("compileQuery() matches nested paths, $or and $in", () => {
  const jobs = [
    job("1", { task: "email", data: { user: 42, plan: { tier: "pro" } } }),
    job("2", { task: "sms", data: { user: 7 }, status: "completed" }),
    job("3", { task: "push", data: { user: 42, tags: ["vip"] } }),
  ];
  const match = (query: Record<string, unknown>) =>
    jobs.filter(compileQuery(validateQuery(query))).map((j) => j.id);
  assert.deepEqual(match({}), ["1", "2", "3"]);
  assert.deepEqual(match({ "data.user": 42 }), ["1", "3"]);
  assert.deepEqual(match({ "data.plan.tier": "pro" }), ["1"]);
  assert.deepEqual(match({ task: { $in: ["sms", "push"] } }), ["2", "3"]);
  assert.deepEqual(match({ $or: [{ status: "completed" }, { "data.tags": "vip" }] }), ["2", "3"]);
});

test("queryHints() extracts plain, $eq and $in values of status and task", () => {
  assert.deepEqual(queryHints({}), {});
  assert.deepEqual(queryHints({ status: "queued", task: "email" }), {
    status: ["queued"],
    task: ["email"],
  });
  assert.deepEqual(
    queryHints({ status: { $in: ["queued", "delayed"] }, task: { $eq: "sms" } }),
    { status: ["queued", "delayed"], task: ["sms"] },
  );
  assert.deepEqual(
    queryHints({ status: "nonsense" }),
    { status: [] },
    "an unknown status matches nothing",
  );
});

test("queryHints() gives no hint for conditions it cannot narrow by", () => {
  assert.deepEqual(queryHints({ status: { $ne: "queued" } }), {});
  assert.deepEqual(queryHints({ task: { $in: ["a"], $nin: ["b"] } }), {});
  assert.deepEqual(queryHints({ $or: [{ status: "queued" }] }), {});
  assert.deepEqual(queryHints({ "data.status": "queued" }), {});
});

/** `$and`s nested `levels` JSON levels deep (each `$and` is an object and an array). */
function nestedAnd(levels: number): Record<string, unknown> {
  let query: Record<string, unknown> = { task: "a" };
  for (let depth = 1; depth < levels; depth += 2) query = { $and: [query] };
  return query;
}

test("validateQuery() accepts a query nested MAX_QUERY_DEPTH levels and refuses deeper", () => {
  assert.equal(MAX_QUERY_DEPTH, 100);
  const deepest = nestedAnd(99);
  assert.equal(validateQuery(deepest), deepest);
  assert.ok(compileQuery(deepest)(job("1", { task: "a" })));
  assert.doesNotThrow(() => validateQuery({ within: deepest }), "100 levels");
  assert.throws(() => validateQuery({ beyond: [deepest] }), {
    name: "RangeError",
    message:
      /^Cannot query jobs as a query must be nested at most 100 levels deep: current value is nested deeper at beyond\[0\](\.\$and\[0\])+$/,
  });
});

test("validateQuery() refuses a query nested 10,000 levels with a RangeError, not a stack overflow", () => {
  assert.throws(() => validateQuery(nestedAnd(10_000)), {
    name: "RangeError",
    message: /^Cannot query jobs as a query must be nested at most 100 levels deep/,
  });
  let value: unknown = 1;
  for (let i = 0; i < 10_000; i++) value = { a: value };
  assert.throws(() => validateQuery({ data: value }), /nested at most 100 levels deep/);
});

test("validateQuery() reports the first problem in key order", () => {
  assert.throws(() => validateQuery({ x: () => 1, $bad: 1 }), /functions are not allowed/);
  assert.throws(() => validateQuery({ $bad: 1, x: () => 1 }), /operator \$bad is not supported/);
  assert.throws(
    () => validateQuery({ a: [{ b: 1n }], c: { $where: "1" } }),
    /a\[0\]\.b must be JSON/,
  );
});

test("compareJobs() sorts by creation order by default, ties by id", () => {
  const jobs = [job("10", { created: 5 }), job("2", { created: 5 }), job("3", { created: 1 })];
  assert.deepEqual(jobs.sort(compareJobs()).map((j) => j.id), ["3", "2", "10"]);
});

test("compareJobs() sorts by a field in either direction, unset values last", () => {
  const jobs = [
    job("1", { priority: 3, created: 1 }),
    job("2", { priority: -1, created: 2, runAt: 50 }),
    job("3", { priority: 3, created: 0, runAt: 10 }),
  ];
  const order = (field: keyof Job, direction: 1 | -1) =>
    [...jobs].sort(compareJobs({ field, direction })).map((j) => j.id);
  assert.deepEqual(order("priority", 1), ["2", "3", "1"]);
  assert.deepEqual(order("priority", -1), ["1", "3", "2"]);
  assert.deepEqual(order("runAt", 1), ["3", "2", "1"]);
  assert.deepEqual(order("runAt", -1), ["2", "3", "1"]);
});

test("compareIds() compares numeric ids as numbers, others as strings", () => {
  assert.ok(compareIds("9", "10") < 0);
  assert.ok(compareIds("b", "a") > 0);
  assert.equal(compareIds("x", "x"), 0);
});

test("compareIds() orders decimal ids of any length numerically, before every other id", () => {
  const ids = ["b", "10", "2", "a10", "99999999999999999999", "1", "1e3", "", "11", " 3", "007"];
  assert.deepEqual(ids.sort(compareIds), [
    "1",
    "2",
    "007",
    "10",
    "11",
    "99999999999999999999",
    "",
    " 3",
    "1e3",
    "a10",
    "b",
  ]);
  assert.ok(compareIds("07", "7") !== 0, "distinct ids never tie");
});

test("compareStrings() orders by code point, unlike < between astral and U+E000–U+FFFF", () => {
  const astral = "\u{1F600}"; // a surrogate pair in UTF-16
  const privateUse = "\uE000";
  assert.ok(astral < privateUse, "JavaScript's < compares UTF-16 code units");
  assert.ok(compareStrings(astral, privateUse) > 0);
  assert.ok(compareStrings("\uFFFF", astral) < 0);
  assert.ok(compareStrings("\uD7FF", astral) < 0);
  const words = ["é", "b", "B", "a b", "ab", "a", "Z", "", astral, privateUse, "f"];
  assert.deepEqual(words.sort(compareStrings), [
    "",
    "B",
    "Z",
    "a",
    "a b",
    "ab",
    "b",
    "f",
    "é",
    privateUse,
    astral,
  ]);
  // The order of the strings' UTF-8 bytes, which SQLite, MongoDB and Redis compare.
  const bytes = (text: string) => [...new TextEncoder().encode(text)];
  const byBytes = [...words].sort((x, y) => {
    const [a, b] = [bytes(x), bytes(y)];
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i] - b[i];
    return a.length - b.length;
  });
  assert.deepEqual(words, byBytes);
  assert.equal(compareStrings("same", "same"), 0);
});

test("compareJobs() sorts ids numerically in both directions", () => {
  const jobs = ["2", "10", "1", "11", "3"].map((id) => job(id));
  const order = (direction: 1 | -1) =>
    [...jobs].sort(compareJobs({ field: "id", direction })).map((j) => j.id);
  assert.deepEqual(order(1), ["1", "2", "3", "10", "11"]);
  assert.deepEqual(order(-1), ["11", "10", "3", "2", "1"]);
});

test("compareJobs() sorts statuses in life order, ties by creation order", () => {
  const jobs = [
    job("1", { status: "timeout" }),
    job("2", { status: "completed", created: 2 }),
    job("3", { status: "queued" }),
    job("4", { status: "failed" }),
    job("5", { status: "completed", created: 1 }),
    job("6", { status: "cancelled" }),
    job("7", { status: "delayed" }),
    job("8", { status: "processing" }),
  ];
  const order = (direction: 1 | -1) =>
    [...jobs].sort(compareJobs({ field: "status", direction })).map((j) => `${j.status} ${j.id}`);
  assert.deepEqual(order(1), [
    "queued 3",
    "delayed 7",
    "processing 8",
    "completed 5",
    "completed 2",
    "failed 4",
    "cancelled 6",
    "timeout 1",
  ]);
  assert.deepEqual(order(-1), order(1).reverse());
});

test("compareJobs() sorts tasks by code point, ties by creation time then id", () => {
  const jobs = [
    job("1", { task: "é" }),
    job("2", { task: "b", created: 5 }),
    job("3", { task: "B" }),
    job("10", { task: "b", created: 1 }),
    job("9", { task: "b", created: 1 }),
    job("4", { task: "f" }),
  ];
  const order = (direction: 1 | -1) =>
    [...jobs].sort(compareJobs({ field: "task", direction })).map((j) => `${j.task} ${j.id}`);
  assert.deepEqual(order(1), ["B 3", "b 9", "b 10", "b 2", "f 4", "é 1"]);
  assert.deepEqual(order(-1), order(1).reverse());
});
