import assert from "node:assert/strict";
import { test } from "node:test";
import {
  describeFilter,
  filterOf,
  type JobFilter,
  paramsOf,
  parseQuery,
  queryOf,
  RETRYABLE,
} from "../http/dashboard/client/job_filter.js";

const none: JobFilter = { status: [], task: [], tag: [], query: "", sort: "-created" };
const tasksOfTag = (tag: string) =>
  ({ mail: ["send email", "bounce"], media: ["resize"] })[tag] ?? [];

test("filterOf() reads a route's parameters, newest first by default", () => {
  assert.deepEqual(filterOf(new URLSearchParams("")), { ...none, cursor: undefined });
  assert.deepEqual(
    filterOf(
      new URLSearchParams(
        "status=failed,timeout&task=a&tag=mail&query=%7B%7D&sort=created&cursor=c1",
      ),
    ),
    {
      status: ["failed", "timeout"],
      task: ["a"],
      tag: ["mail"],
      query: "{}",
      sort: "created",
      cursor: "c1",
    },
  );
});

test("paramsOf() writes only what is set, and the API's limit and cursor", () => {
  assert.equal(paramsOf(none).toString(), "sort=-created");
  const filter = { ...none, status: ["failed"], query: ' {"data.user": 42} ', cursor: "old" };
  assert.equal(
    paramsOf(filter, { limit: 50, cursor: "new" }).toString(),
    "status=failed&query=%7B%22data.user%22%3A+42%7D&sort=-created&limit=50&cursor=new",
  );
  assert.equal(paramsOf(filter, { cursor: undefined }).has("cursor"), false);
  assert.equal(paramsOf(filter).get("cursor"), "old");
  assert.deepEqual(filterOf(paramsOf(filter)), { ...filter, query: '{"data.user": 42}' });
});

test("parseQuery() accepts a JSON object and refuses anything else in the library's message shape", () => {
  assert.equal(parseQuery("  "), undefined);
  assert.deepEqual(parseQuery('{"data.user": 42}'), { "data.user": 42 });
  assert.throws(() => parseQuery("{data: 1}"), {
    name: "TypeError",
    message: /^Cannot filter jobs as the query must be JSON \(.+\): current value is \{data: 1\}$/,
  });
  assert.throws(() => parseQuery("[1]"), {
    name: "TypeError",
    message: "Cannot filter jobs as the query must be a JSON object: current value is [1]",
  });
});

test("queryOf() combines the data query, statuses and tasks, tags becoming their tasks", () => {
  assert.deepEqual(queryOf(none, tasksOfTag), {});
  assert.deepEqual(queryOf({ ...none, query: '{"data.to":"a"}' }, tasksOfTag), { "data.to": "a" });
  assert.deepEqual(
    queryOf({ ...none, status: ["failed"], tag: ["mail"], query: '{"data.to":"a"}' }, tasksOfTag),
    {
      $and: [{ "data.to": "a" }, { status: { $in: ["failed"] } }, {
        task: { $in: ["send email", "bounce"] },
      }],
    },
  );
  assert.deepEqual(queryOf({ ...none, task: ["bounce", "resize"], tag: ["mail"] }, tasksOfTag), {
    task: { $in: ["bounce"] },
  });
});

test("queryOf() limits a retry to finished statuses, and is null when nothing can match", () => {
  assert.deepEqual(queryOf(none, tasksOfTag, RETRYABLE), { status: { $in: RETRYABLE } });
  assert.deepEqual(queryOf({ ...none, status: ["queued", "failed"] }, tasksOfTag, RETRYABLE), {
    status: { $in: ["failed"] },
  });
  assert.equal(queryOf({ ...none, status: ["queued"] }, tasksOfTag, RETRYABLE), null);
  assert.equal(queryOf({ ...none, tag: ["nobody"] }, tasksOfTag), null);
  assert.equal(queryOf({ ...none, task: ["resize"], tag: ["mail"] }, tasksOfTag), null);
});

test("describeFilter() says what a confirmation acts on", () => {
  assert.equal(describeFilter(none), "every job");
  assert.equal(
    describeFilter({ ...none, status: ["failed", "timeout"], tag: ["mail"], query: '{"a":1}' }),
    'status failed or timeout, tag mail, query {"a":1}',
  );
});
