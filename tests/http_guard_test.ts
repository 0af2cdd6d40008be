import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import type { Queue } from "../src/queue.ts";
import type { HttpOptions, Problem } from "../http/mod.ts";
import { bearerCheck, isWrite } from "../http/_guard.ts";
import { jsonOf, serveApi, type TestApi } from "./_http.ts";

async function withApi(
  options: HttpOptions,
  fn: (api: TestApi, queue: Queue) => Promise<void>,
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

/** One request of every route, as [method, path]. */
const EVERY_ROUTE: [string, string][] = [
  ["GET", "/api/stats"],
  ["GET", "/api/jobs"],
  ["POST", "/api/jobs"],
  ["GET", "/api/jobs/1"],
  ["GET", "/api/jobs/1/logs"],
  ["POST", "/api/jobs/1/cancel"],
  ["POST", "/api/jobs/1/retry"],
  ["POST", "/api/clean"],
  ["GET", "/api/tasks"],
  ["GET", "/api/events"],
  ["GET", "/api/nothing"],
];

test("httpHandler() with a token answers 401 on every route but openapi.json without it", () =>
  withApi({ token: "s3cret" }, async (api) => {
    for (const [method, path] of EVERY_ROUTE) {
      for (const authorization of [undefined, "Bearer wrong", "Basic czNjcmV0", "Bearer s3cret!"]) {
        const headers = authorization ? { authorization } : undefined;
        const response = await api.call(path, { method, headers });
        const problem = await jsonOf<Problem>(response, 401);
        assert.match(
          problem.detail,
          /^Cannot answer as the (request needs an Authorization: Bearer <token> header|bearer token is not the one this API was given)$/,
        );
        assert.match(response.headers.get("www-authenticate") ?? "", /^Bearer realm="kinetik"/);
      }
    }
    const document = await jsonOf<{ openapi: string }>(await api.call("/api/openapi.json"), 200);
    assert.equal(document.openapi, "3.1.0");
  }));

test("httpHandler() with a token answers every route given the right bearer token", () =>
  withApi({ token: "s3cret" }, async (api, queue) => {
    const job = await queue.create("resize");
    await jsonOf(await api.call(`/api/jobs/${job.id}`, { token: "s3cret" }), 200);
    await jsonOf(
      await api.call("/api/stats", { headers: { authorization: "bearer s3cret" } }),
      200,
    );
    await jsonOf(await api.call("/api/jobs", { json: { task: "resize" }, token: "s3cret" }), 201);
  }));

test("bearerCheck() compares digests, so a token of another length is refused the same way", async () => {
  const check = bearerCheck("s3cret");
  const request = (authorization: string) =>
    new Request("http://localhost/", { headers: { authorization } });
  await check(request("Bearer s3cret"));
  for (const token of ["s3cres", "s3cre", "s3cret0", "x".repeat(1000)]) {
    await assert.rejects(check(request(`Bearer ${token}`)), {
      name: "HttpProblem",
      status: 401,
      message: "Cannot answer as the bearer token is not the one this API was given",
    });
  }
});

test("httpHandler() in read-only mode answers 403 to every write and serves reads", () =>
  withApi({ readOnly: true }, async (api, queue) => {
    const job = await queue.create("resize");
    for (const [method, path] of EVERY_ROUTE.filter(([method]) => isWrite(method))) {
      const problem = await jsonOf<Problem>(await api.call(path, { method }), 403);
      assert.equal(problem.detail, `Cannot ${method} ${path} as this API is read-only`);
    }
    await jsonOf(await api.call(`/api/jobs/${job.id}`), 200);
    assert.equal((await queue.get(job.id))?.status, "queued");
  }));

test("httpHandler() checks the token before read-only mode: 401, then 403", () =>
  withApi({ token: "t", readOnly: true }, async (api) => {
    await jsonOf(await api.call("/api/jobs", { json: { task: "x" } }), 401);
    await jsonOf(await api.call("/api/jobs", { json: { task: "x" }, token: "t" }), 403);
  }));

test("httpHandler() sends no CORS headers and answers no preflight unless configured", () =>
  withApi({}, async (api) => {
    const origin = "https://ops.example.com";
    const response = await api.call("/api/stats", { headers: { origin } });
    await jsonOf(response, 200);
    assert.equal(response.headers.get("access-control-allow-origin"), null);
    const preflight = await api.call("/api/jobs", {
      method: "OPTIONS",
      headers: { origin, "access-control-request-method": "POST" },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    assert.equal(preflight.headers.get("access-control-allow-methods"), null);
  }));

test("httpHandler() with cors answers preflights and adds headers for the allowed origin only", () =>
  withApi({ cors: { origin: "https://ops.example.com" }, token: "t" }, async (api) => {
    const preflight = await api.call("/api/jobs", {
      method: "OPTIONS",
      headers: {
        origin: "https://ops.example.com",
        "access-control-request-method": "POST",
        "access-control-request-headers": "authorization, content-type",
      },
    });
    await preflight.body?.cancel();
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers.get("access-control-allow-origin"), "https://ops.example.com");
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /authorization/);
    const allowed = await api.call("/api/jobs", {
      json: { task: "x" },
      token: "t",
      headers: { origin: "https://ops.example.com" },
    });
    await jsonOf(allowed, 201);
    assert.equal(allowed.headers.get("access-control-allow-origin"), "https://ops.example.com");
    const other = await api.call("/api/stats", {
      token: "t",
      headers: { origin: "https://evil.example" },
    });
    await jsonOf(other, 200);
    assert.notEqual(other.headers.get("access-control-allow-origin"), "https://evil.example");
  }));

test("httpHandler() refuses a write a page of another origin sends, and writes nothing", () =>
  withApi({}, async (api, queue) => {
    const job = await queue.create("resize");
    const response = await api.call(`/api/jobs/${job.id}/cancel`, {
      method: "POST",
      headers: { origin: "https://evil.example" },
    });
    const problem = await jsonOf<Problem>(response, 403);
    assert.equal(
      problem.detail,
      'Cannot POST as the request comes from a page of another origin: current value is "https://evil.example"',
    );
    assert.equal((await queue.get(job.id))?.status, "queued");
    const own = await api.call(`/api/jobs/${job.id}/cancel`, {
      method: "POST",
      headers: { origin: new URL(api.base).origin },
    });
    await jsonOf(own, 200);
  }));

test("httpHandler() with hosts answers 403 to another Host (DNS rebinding)", () =>
  withApi({ hosts: ["127.0.0.1", "localhost"] }, async (api) => {
    await jsonOf(await api.call("/api/stats"), 200);
    const { port } = new URL(api.base);
    const rebound = await new Promise<string>((resolve, reject) => {
      // fetch() sets Host from the URL; a raw request names another host.
      import("node:net").then(({ connect }) => {
        const socket = connect(Number(port), "127.0.0.1", () => {
          socket.write(
            "GET /api/stats HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n",
          );
        });
        let text = "";
        socket.on("data", (chunk) => text += chunk);
        socket.on("end", () => resolve(text));
        socket.on("error", reject);
      });
    });
    assert.match(rebound, /^HTTP\/1.1 403/);
    assert.match(rebound, /the request's host must be one of 127.0.0.1, localhost/);
  }));
