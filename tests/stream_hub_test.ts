import { test } from "node:test";
import assert from "node:assert/strict";
import { StreamHub } from "../src/stream_hub.ts";

/** Reads a stream to its end. */
async function collect<T>(stream: ReadableStream<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of stream) values.push(value);
  return values;
}

test("push() fans each value out to every open stream", async () => {
  const hub = new StreamHub<number>();
  const a = hub.open();
  const b = hub.open();
  hub.push(1);
  hub.push(2);
  hub.close();
  assert.deepEqual(await collect(a), [1, 2]);
  assert.deepEqual(await collect(b), [1, 2]);
});

test("push() sends a stream only the values its filter accepts", async () => {
  const hub = new StreamHub<number>();
  const even = hub.open((n) => n % 2 === 0);
  const all = hub.open();
  for (const n of [1, 2, 3, 4]) hub.push(n);
  hub.close();
  assert.deepEqual(await collect(even), [2, 4]);
  assert.deepEqual(await collect(all), [1, 2, 3, 4]);
});

test("push() drops values when no stream is open", async () => {
  const hub = new StreamHub<number>();
  hub.push(1);
  const stream = hub.open();
  hub.push(2);
  hub.close();
  assert.deepEqual(await collect(stream), [2]);
});

test("open() closes a stream after the value isLast accepts, and detaches it", async () => {
  const hub = new StreamHub<string>();
  const watched = hub.open(() => true, (value) => value === "done");
  const other = hub.open();
  for (const value of ["start", "done", "later"]) hub.push(value);
  assert.deepEqual(await collect(watched), ["start", "done"]);
  assert.equal(hub.isListened, true);
  hub.close();
  assert.deepEqual(await collect(other), ["start", "done", "later"]);
});

test("open() checks isLast only on values the filter accepts", async () => {
  const hub = new StreamHub<number>();
  const stream = hub.open((n) => n > 10, (n) => n > 0);
  hub.push(5);
  hub.push(20);
  assert.deepEqual(await collect(stream), [20]);
  assert.equal(hub.isListened, false);
});

test("cancel() on a stream detaches it from the hub", async () => {
  const hub = new StreamHub<number>();
  const stream = hub.open();
  assert.equal(hub.isListened, true);
  await stream.cancel();
  assert.equal(hub.isListened, false);
  assert.doesNotThrow(() => hub.push(1));
});

test("cancel() of one reader leaves the other streams receiving", async () => {
  const hub = new StreamHub<number>();
  const cancelled = hub.open();
  const kept = hub.open();
  const reader = cancelled.getReader();
  await reader.cancel();
  reader.releaseLock();
  hub.push(7);
  hub.close();
  assert.deepEqual(await collect(kept), [7]);
});

test("close() closes every stream and detaches them", async () => {
  const hub = new StreamHub<number>();
  const streams = [hub.open(), hub.open(), hub.open()];
  hub.push(1);
  hub.close();
  hub.push(2);
  assert.equal(hub.isListened, false);
  assert.deepEqual(await Promise.all(streams.map(collect)), [[1], [1], [1]]);
});

test("open() gives onStart an outlet that pushes past the filter, closes and errors", async () => {
  const hub = new StreamHub<number>();
  const pushed = hub.open(() => false, (n) => n === 2, (outlet) => {
    outlet.push(1);
    outlet.push(2);
    outlet.push(3);
  });
  assert.deepEqual(await collect(pushed), [1, 2]);

  const closed = hub.open(() => true, undefined, (outlet) => outlet.close());
  assert.deepEqual(await collect(closed), []);

  const failure = new TypeError("no such job");
  const failed = hub.open(() => true, undefined, (outlet) => outlet.error(failure));
  await assert.rejects(collect(failed), failure);
  assert.equal(hub.isListened, false);
});

test("size counts open streams until they close or their reader cancels", async () => {
  const hub = new StreamHub<number>();
  const a = hub.open();
  const b = hub.open(() => true, (n) => n === 2);
  assert.equal(hub.size, 2);
  await a.cancel();
  assert.equal(hub.size, 1);
  hub.push(2);
  assert.equal(hub.size, 0);
  assert.deepEqual(await b.getReader().read(), { done: false, value: 2 });
});
