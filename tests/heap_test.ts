import assert from "node:assert/strict";
import { test } from "node:test";
import { AppendHeap, firstInOrder, Heap } from "../stores/_heap.ts";

test("Heap.pop() returns items smallest first whatever the push order", () => {
  const heap = new Heap<number>((a, b) => a < b);
  let seed = 7;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 1_000;
  const values = Array.from({ length: 500 }, random);
  for (const value of values) heap.push(value);
  assert.equal(heap.size, 500);
  const out: number[] = [];
  while (heap.size > 0) out.push(heap.pop()!);
  assert.deepEqual(out, [...values].sort((a, b) => a - b));
});

test("Heap keeps its order when pushes and pops interleave", () => {
  const heap = new Heap<number>((a, b) => a < b);
  for (const value of [5, 3, 8]) heap.push(value);
  assert.equal(heap.pop(), 3);
  heap.push(1);
  heap.push(6);
  assert.equal(heap.peek(), 1);
  assert.deepEqual([heap.pop(), heap.pop(), heap.pop(), heap.pop()], [1, 5, 6, 8]);
});

test("Heap.pop() and peek() return undefined when empty, and clear() empties", () => {
  const heap = new Heap<string>((a, b) => a < b);
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.peek(), undefined);
  heap.push("b");
  heap.push("a");
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(heap.pop(), undefined);
});

test("Heap breaks ties by whatever its less function compares", () => {
  const heap = new Heap<{ p: number; seq: number }>((a, b) =>
    a.p !== b.p ? a.p < b.p : a.seq < b.seq
  );
  const items = [{ p: 1, seq: 3 }, { p: 0, seq: 2 }, { p: 1, seq: 1 }, { p: 0, seq: 4 }];
  for (const item of items) heap.push(item);
  const order = [];
  while (heap.size > 0) order.push(heap.pop()!.seq);
  assert.deepEqual(order, [2, 4, 1, 3]);
});

test("firstInOrder() gives the first count items in order, through a heap or a sort", () => {
  const items = Array.from({ length: 1_000 }, (_, i) => (i * 7_919) % 1_000);
  const ascending = (a: number, b: number) => a - b;
  for (const count of [0, 1, 7, 124, 125, 999, 2_000]) {
    const want = [...items].sort(ascending).slice(0, count);
    assert.deepEqual(firstInOrder([...items], ascending, count), want, `first ${count}`);
  }
  assert.deepEqual(firstInOrder([...items], (a, b) => b - a, 3), [999, 998, 997]);
});

test("AppendHeap.pop() returns items smallest first whether they come in order or not", () => {
  const heap = new AppendHeap<number>((a, b) => a < b);
  let seed = 11;
  const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % 100;
  // Mostly rising values, with one in five out of order (and some ties).
  const values = Array.from({ length: 3_000 }, (_, i) => (i % 5 === 0 ? random() : i / 10));
  for (const value of values) heap.push(value);
  assert.equal(heap.size, 3_000);
  const out: number[] = [];
  while (heap.size > 0) out.push(heap.pop()!);
  assert.deepEqual(out, [...values].sort((a, b) => a - b));
  assert.equal(heap.pop(), undefined);
  assert.equal(heap.peek(), undefined);
});

test("AppendHeap keeps its order when pushes and pops interleave past its compaction", () => {
  const heap = new AppendHeap<number>((a, b) => a < b);
  const model: number[] = [];
  for (let i = 0; i < 5_000; i++) {
    const value = i % 7 === 3 ? i - 50 : i; // a late one now and then
    heap.push(value);
    model.push(value);
    if (i % 3 !== 0) {
      model.sort((a, b) => a - b);
      assert.equal(heap.peek(), model[0]);
      assert.equal(heap.pop(), model.shift());
    }
  }
  assert.equal(heap.size, model.length);
  model.sort((a, b) => a - b);
  const rest: number[] = [];
  while (heap.size > 0) rest.push(heap.pop()!);
  assert.deepEqual(rest, model);
  heap.push(2);
  heap.push(1);
  heap.clear();
  assert.equal(heap.size, 0);
  assert.equal(heap.pop(), undefined);
});
