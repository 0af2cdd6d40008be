import assert from "node:assert/strict";
import { connect } from "node:net";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import type { Queue } from "../src/queue.ts";
import type { Problem } from "../http/mod.ts";
import { MAX_BODY_BYTES, readJson } from "../http/_body.ts";
import { jsonOf, serveApi, type TestApi } from "./_http.ts";

async function withApi(fn: (api: TestApi, queue: Queue) => Promise<void>): Promise<void> {
  const queue = kinetik();
  const api = await serveApi(queue);
  try {
    await fn(api, queue);
  } finally {
    await api.close();
    await queue.close();
  }
}

/** A JSON job body of exactly `size` bytes. */
function bodyOf(size: number): string {
  const frame = JSON.stringify({ task: "big", data: { pad: "" } });
  return JSON.stringify({ task: "big", data: { pad: "x".repeat(size - frame.length) } });
}

/** Sends a raw HTTP/1.1 request and resolves to the raw answer. */
function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1", () => socket.write(request));
    let text = "";
    socket.on("data", (chunk) => {
      text += chunk;
      // The answer is complete once its JSON body is; the server may keep reading.
      if (/\r\n\r\n[\s\S]*\}$/.test(text) || /\r\n0\r\n\r\n$/.test(text)) socket.destroy();
    });
    socket.on("close", () => resolve(text));
    socket.on("error", reject);
  });
}

test("httpHandler() takes a body of exactly 1 MB and answers 413 for one byte more", () =>
  withApi(async (api, queue) => {
    const fits = bodyOf(MAX_BODY_BYTES);
    assert.equal(new TextEncoder().encode(fits).length, MAX_BODY_BYTES);
    await jsonOf(
      await api.call("/api/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: fits,
      }),
      201,
    );
    const problem = await jsonOf<Problem>(
      await api.call("/api/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: bodyOf(MAX_BODY_BYTES + 1),
      }),
      413,
    );
    assert.equal(
      problem.detail,
      `Cannot read the request body as it must be at most 1048576 bytes: current value is ${
        MAX_BODY_BYTES + 1
      }`,
    );
    assert.equal(await queue.count(), 1);
  }));

test("httpHandler() answers 413 to a chunked body that grows past 1 MB, without a length", () =>
  withApi(async (api, queue) => {
    const port = Number(new URL(api.base).port);
    const chunk = "x".repeat(64 * 1024);
    let request = "POST /api/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
      "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    const start = '{"task":"big","data":"';
    request += `${start.length.toString(16)}\r\n${start}\r\n`;
    for (let sent = 0; sent <= MAX_BODY_BYTES; sent += chunk.length) {
      request += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    }
    request += '2\r\n"}\r\n0\r\n\r\n';
    const answer = await rawRequest(port, request);
    assert.match(answer, /^HTTP\/1.1 413/);
    assert.match(answer, /must be at most 1048576 bytes: current value is more than 1048576 bytes/);
    assert.equal(await queue.count(), 0);
  }));

test("readJson() refuses a body longer than its Content-Length says, at the limit", async () => {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 20; i++) controller.enqueue(new Uint8Array(64 * 1024));
      controller.close();
    },
  });
  const request = new Request("http://localhost/", {
    method: "POST",
    body,
    headers: { "content-type": "application/json", "content-length": "10" },
  });
  await assert.rejects(readJson(request), { name: "HttpProblem", status: 413 });
});

test("httpHandler() answers 400 to bad JSON, an empty body or invalid UTF-8, 415 to another type", () =>
  withApi(async (api, queue) => {
    const post = (body: BodyInit, type = "application/json") =>
      api.call("/api/jobs", { method: "POST", headers: { "content-type": type }, body });
    const bad = await jsonOf<Problem>(await post('{"task": "x",}'), 400);
    assert.match(bad.detail, /^Cannot read the request body as it is not JSON: /);
    const empty = await jsonOf<Problem>(await post(""), 400);
    assert.equal(empty.detail, "Cannot read the request body as it is empty: it must be JSON");
    await jsonOf(await post(new Uint8Array([0x7b, 0xff, 0x7d])), 400);
    const form = await jsonOf<Problem>(
      await post("task=x", "application/x-www-form-urlencoded"),
      415,
    );
    assert.equal(
      form.detail,
      'Cannot read the request body as its Content-Type must be application/json: current value is "application/x-www-form-urlencoded"',
    );
    await jsonOf(await post('{"task":"x"}', "text/plain"), 415);
    await jsonOf(await post('{"task":"x"}', "application/json; charset=utf-8"), 201);
    assert.equal(await queue.count(), 1);
  }));

test("httpHandler() answers 400 with the library's RangeError to data nested too deep", () =>
  withApi(async (api, queue) => {
    const deep = "[".repeat(5_000) + "]".repeat(5_000);
    const problem = await jsonOf<Problem>(
      await api.call("/api/jobs", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: `{"task":"deep","data":${deep}}`,
      }),
      400,
    );
    assert.match(problem.detail, /^Cannot create job for "deep" as /);
    assert.equal(await queue.count(), 0);
  }));
