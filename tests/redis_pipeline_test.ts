/** The Redis client's pipeline, with a write function of the test's own. */

import assert from "node:assert/strict";
import { test } from "node:test";
import { type InFlight, Pipeline } from "../stores/redis/_pipeline.ts";

function pipeline() {
  const writes: string[] = [];
  let waits = 0;
  const pipe = new Pipeline((text) => writes.push(text), () => waits++);
  return { pipe, writes, waits: () => waits };
}

/** A pending command that records how it settled. */
function pending(settled: string[], name: string): InFlight {
  return {
    resolve: (reply) => settled.push(`${name}=${reply}`),
    reject: (error) => settled.push(`${name}!${error.message}`),
  };
}

test("Pipeline.send() writes the commands of one tick at once, in order", async () => {
  const { pipe, writes } = pipeline();
  const settled: string[] = [];
  pipe.send("a", pending(settled, "a"));
  pipe.send("b", pending(settled, "b"));
  assert.deepEqual(writes, [], "nothing before the tick ends");
  await Promise.resolve();
  assert.deepEqual(writes, ["ab"]);
  pipe.send("c", pending(settled, "c"));
  await Promise.resolve();
  assert.deepEqual(writes, ["ab", "c"]);
});

test("Pipeline.next() hands out the commands in the order they were sent", () => {
  const { pipe } = pipeline();
  const settled: string[] = [];
  for (const name of ["a", "b", "c"]) pipe.send(name, pending(settled, name));
  for (const reply of [1, 2, 3]) pipe.next().resolve(reply);
  assert.deepEqual(settled, ["a=1", "b=2", "c=3"]);
  assert.equal(pipe.hasInFlight, false);
  assert.throws(
    () => pipe.next(),
    new SyntaxError("Cannot match a Redis reply as no command is waiting for one"),
  );
});

test("Pipeline.send() reports a wait only when nothing was in flight", () => {
  const { pipe, waits } = pipeline();
  const settled: string[] = [];
  pipe.send("a", pending(settled, "a"));
  pipe.send("b", pending(settled, "b"));
  assert.equal(waits(), 1);
  pipe.next().resolve("ok");
  pipe.send("c", pending(settled, "c"));
  assert.equal(waits(), 1, "b is still in flight");
  pipe.next().resolve("ok");
  pipe.next().resolve("ok");
  pipe.send("d", pending(settled, "d"));
  assert.equal(waits(), 2);
});

test("Pipeline.rejectAll() rejects what waits and drops what is unwritten", async () => {
  const { pipe, writes } = pipeline();
  const settled: string[] = [];
  pipe.send("a", pending(settled, "a"));
  pipe.next().resolve(1);
  pipe.send("b", pending(settled, "b"));
  pipe.send("c", pending(settled, "c"));
  pipe.rejectAll(new Error("gone"));
  await Promise.resolve();
  assert.deepEqual(settled, ["a=1", "b!gone", "c!gone"]);
  assert.deepEqual(writes, []);
  assert.equal(pipe.hasInFlight, false);
});
