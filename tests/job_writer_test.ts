import { test } from "node:test";
import assert from "node:assert/strict";
import { MemoryStore } from "../mod.ts";
import { JobWriter } from "../src/job_writer.ts";
import type { NewJob } from "../src/store.ts";
import { deferred } from "./_helpers.ts";

const job = (task: string): NewJob => ({
  task,
  data: null,
  created: 0,
  priority: 0,
  log: { time: 0, message: "Created" },
});

test("JobWriter.save() saves in one call, announces each job, wakes each task once", async () => {
  const store = new MemoryStore();
  const heard: string[] = [];
  const writer = new JobWriter(store, {
    saved: (saved) => heard.push(`saved ${saved.id}`),
    wake: (task) => heard.push(`wake ${task}`),
    drain: () => heard.push("drain"),
  });
  const saved = await writer.save([job("a"), job("b"), job("a")]);
  assert.deepEqual(saved.map((j) => j.task), ["a", "b", "a"]);
  assert.deepEqual(heard, ["saved 1", "saved 2", "saved 3", "wake a", "wake b", "drain"]);
  await store.close();
});

test("JobWriter.drained resolves once no save is in flight, and drain fires each time", async () => {
  const store = new MemoryStore();
  const gate = deferred();
  const add = store.add.bind(store);
  store.add = async (jobs) => (await gate.promise, add(jobs));
  let drains = 0;
  const writer = new JobWriter(store, { saved: () => {}, wake: () => {}, drain: () => drains++ });
  await writer.drained;
  const first = writer.save([job("a")]);
  const second = writer.save([job("a")]);
  let isDrained = false;
  writer.drained.then(() => isDrained = true);
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.equal(isDrained, false);
  gate.resolve();
  await Promise.all([first, second]);
  await writer.drained;
  assert.equal(isDrained, true);
  assert.equal(drains, 1, "once, when the count drops to zero");
  await store.close();
});

test("JobWriter.save() of no jobs calls no store and still drains", async () => {
  const store = new MemoryStore();
  let drains = 0;
  store.add = () => Promise.reject(new Error("not called"));
  const writer = new JobWriter(store, { saved: () => {}, wake: () => {}, drain: () => drains++ });
  assert.deepEqual(await writer.save([]), []);
  assert.equal(drains, 1);
  await store.close();
});

test("JobWriter.save() rejects with the store's error and drains anyway", async () => {
  const store = new MemoryStore();
  store.add = () => Promise.reject(new Error("memory: full"));
  let drains = 0;
  const writer = new JobWriter(store, { saved: () => {}, wake: () => {}, drain: () => drains++ });
  await assert.rejects(writer.save([job("a")]), { message: "memory: full" });
  assert.equal(drains, 1);
  await writer.drained;
  await store.close();
});
