import { test } from "node:test";
import assert from "node:assert/strict";
import type { Job, JobStatus } from "../src/job.ts";
import {
  FINAL_EVENT,
  isFinalEvent,
  matchEvents,
  QUEUE_EVENT_TYPES,
  type QueueEvent,
  type QueueEventType,
} from "../src/events.ts";

function event(
  type: QueueEventType,
  task = "send email",
  id = "1",
  status?: JobStatus,
): QueueEvent {
  const job: Job = {
    id,
    task,
    data: null,
    status: status ?? "processing",
    created: 0,
    attempts: 1,
    priority: 0,
  };
  return { type, job, time: 0 };
}

const ALL_TYPES = QUEUE_EVENT_TYPES;

test("matchEvents() passes every event when given no filter or an empty one", () => {
  for (const match of [matchEvents(), matchEvents({})]) {
    assert.ok(ALL_TYPES.every((type) => match(event(type))));
  }
});

test("matchEvents() passes only the given type when type is a string", () => {
  const match = matchEvents({ type: "completed" });
  assert.deepEqual(ALL_TYPES.filter((type) => match(event(type))), ["completed"]);
});

test("matchEvents() passes any of the given types when type is a list", () => {
  const match = matchEvents({ type: ["failed", "timeout", "log"] });
  assert.deepEqual(ALL_TYPES.filter((type) => match(event(type))), ["log", "failed", "timeout"]);
});

test("matchEvents() passes nothing when type is an empty list", () => {
  const match = matchEvents({ type: [] });
  assert.equal(ALL_TYPES.some((type) => match(event(type))), false);
});

test("matchEvents() passes only jobs of the given task or tasks", () => {
  const one = matchEvents({ task: "send email" });
  assert.equal(one(event("started", "send email")), true);
  assert.equal(one(event("started", "send sms")), false);
  const many = matchEvents({ task: ["send email", "resize"] });
  assert.equal(many(event("started", "resize")), true);
  assert.equal(many(event("started", "send sms")), false);
});

test("matchEvents() passes only the job with the given id", () => {
  const match = matchEvents({ id: "42" });
  assert.equal(match(event("log", "send email", "42")), true);
  assert.equal(match(event("log", "send email", "4")), false);
  assert.equal(match(event("log", "send email", "420")), false);
});

test("matchEvents() requires every given criterion to hold", () => {
  const match = matchEvents({ type: ["completed", "failed"], task: "resize", id: "7" });
  assert.equal(match(event("completed", "resize", "7")), true);
  assert.equal(match(event("started", "resize", "7")), false);
  assert.equal(match(event("completed", "send email", "7")), false);
  assert.equal(match(event("completed", "resize", "8")), false);
});

test("matchEvents() is not affected by later changes to the filter's lists", () => {
  const types: QueueEventType[] = ["completed"];
  const match = matchEvents({ type: types });
  types.push("failed");
  assert.equal(match(event("failed")), false);
});

test("isFinalEvent() holds for completed, failed, timeout and cancelled only", () => {
  assert.deepEqual(ALL_TYPES.filter((type) => isFinalEvent(event(type))), [
    "completed",
    "failed",
    "timeout",
    "cancelled",
  ]);
});

test("isFinalEvent() holds for stalled when the job failed, not when it was requeued", () => {
  assert.equal(isFinalEvent(event("stalled", "resize", "1", "failed")), true);
  assert.equal(isFinalEvent(event("stalled", "resize", "1", "queued")), false);
});

test("FINAL_EVENT maps each final status to its event and no other status", () => {
  assert.deepEqual(FINAL_EVENT, {
    completed: "completed",
    failed: "failed",
    timeout: "timeout",
    cancelled: "cancelled",
  });
});
