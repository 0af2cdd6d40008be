import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import type { QueueEvent } from "../src/events.ts";
import type { Queue } from "../src/queue.ts";
import type { HttpOptions, Problem } from "../http/mod.ts";
import { eventually, jsonOf, serveApi, SseReader, type TestApi } from "./_http.ts";

async function withApi(
  fn: (api: TestApi, queue: Queue) => Promise<void>,
  options: HttpOptions = {},
): Promise<void> {
  const queue = kinetik();
  const api = await serveApi(queue, options);
  try {
    await fn(api, queue);
  } finally {
    await api.close();
    await queue.close();
  }
}

/** Opens `GET /api/events<search>` and waits for its first frame (the subscription is live). */
async function openEvents(api: TestApi, search = "", init: RequestInit = {}): Promise<SseReader> {
  const response = await api.call(`/api/events${search}`, init);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-type") ?? "", /^text\/event-stream/);
  const reader = new SseReader(response);
  assert.deepEqual(await reader.next(), { comment: "connected" });
  return reader;
}

test("httpHandler() GET /api/events streams event: <type> and data: <QueueEvent JSON>", () =>
  withApi(async (api, queue) => {
    const events = await openEvents(api);
    const job = await queue.create("resize", { n: 1 });
    const created = await events.nextEvent();
    assert.equal(created.event, "created");
    const data = created.data as QueueEvent;
    assert.equal(data.type, "created");
    assert.deepEqual(data.job, job);
    assert.equal(typeof data.time, "number");
    await queue.cancel(job.id);
    const cancelled = await events.nextEvent();
    assert.equal(cancelled.event, "cancelled");
    assert.equal((cancelled.data as QueueEvent).job.status, "cancelled");
    await events.cancel();
  }));

test("httpHandler() GET /api/events filters by type, task and job", () =>
  withApi(async (api, queue) => {
    const byType = await openEvents(api, "?type=cancelled");
    const byTask = await openEvents(api, "?task=resize,crop");
    const first = await queue.create("send email");
    const byJob = await openEvents(api, `?job=${first.id}`);
    const crop = await queue.create("crop");
    await queue.cancel(crop.id);
    await queue.cancel(first.id);
    const types = async (reader: SseReader, count: number) => {
      const seen: string[] = [];
      while (seen.length < count) {
        const { event, data } = await reader.nextEvent();
        seen.push(`${event} ${(data as QueueEvent).job.task}`);
      }
      return seen;
    };
    assert.deepEqual(await types(byType, 2), ["cancelled crop", "cancelled send email"]);
    assert.deepEqual(await types(byTask, 2), ["created crop", "cancelled crop"]);
    assert.deepEqual(await types(byJob, 1), ["cancelled send email"]);
    for (const reader of [byType, byTask, byJob]) await reader.cancel();
  }));

test("httpHandler() GET /api/events sends a heartbeat comment every heartbeat", () =>
  withApi(async (api) => {
    const events = await openEvents(api);
    assert.deepEqual(await events.next(), { comment: "heartbeat" });
    assert.deepEqual(await events.next(), { comment: "heartbeat" });
    await events.cancel();
  }, { heartbeat: 20 }));

test("httpHandler() GET /api/events leaves no subscription behind when clients go away", () =>
  withApi(async (api, queue) => {
    assert.equal(queue.openStreams, 0);
    const readers = await Promise.all(Array.from({ length: 5 }, () => openEvents(api)));
    assert.equal(queue.openStreams, 5);
    for (const reader of readers) await reader.cancel();
    await eventually(() => queue.openStreams === 0, "the streams of cancelled readers are gone");
    // A client that aborts its fetch.
    const controller = new AbortController();
    await openEvents(api, "?type=created", { signal: controller.signal });
    assert.equal(queue.openStreams, 1);
    controller.abort();
    await eventually(() => queue.openStreams === 0, "the stream of an aborted fetch is gone");
    // Events after that reach nobody and pile up nowhere.
    await queue.create("resize");
    assert.equal(queue.openStreams, 0);
  }, { heartbeat: 60_000 }));

test("httpHandler() GET /api/events answers 400 for a bad filter and opens nothing", () =>
  withApi(async (api, queue) => {
    const type = await jsonOf<Problem>(await api.call("/api/events?type=done"), 400);
    assert.match(type.detail, /^Cannot read type as it must be one of created, started, log, /);
    await jsonOf(await api.call("/api/events?job=a%20b"), 400);
    assert.equal(queue.openStreams, 0);
  }));

test("httpHandler() ends every event stream when its signal aborts", async () => {
  const queue = kinetik();
  const closing = new AbortController();
  const api = await serveApi(queue, { signal: closing.signal });
  try {
    const events = await openEvents(api);
    closing.abort();
    assert.equal(await events.next(), undefined, "the stream ends");
    await eventually(() => queue.openStreams === 0, "the stream's subscription is gone");
  } finally {
    await api.close();
    await queue.close();
  }
});
