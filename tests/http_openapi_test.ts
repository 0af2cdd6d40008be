import assert from "node:assert/strict";
import { test } from "node:test";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import { kinetik, MemoryStore } from "../mod.ts";
import type { Job } from "../src/job.ts";
import { jsonOf, serveApi, SseReader, type TestApi } from "./_http.ts";

type Schema = Record<string, unknown>;
type Document = {
  paths: Record<string, Record<string, { responses: Record<string, Schema> }>>;
  components: { schemas: Record<string, Schema> };
};

/** Validates responses against the document's schemas for their route, status and type. */
class ResponseChecker {
  #document: Document;
  #ajv = new Ajv2020({ strict: false, allErrors: true });
  #compiled = new Map<string, ReturnType<Ajv2020["compile"]>>();
  /** `METHOD template status` of every response checked. */
  readonly seen = new Set<string>();

  constructor(document: Document) {
    this.#document = document;
  }

  /** The document's path template that `path` matches, e.g. `/api/jobs/{id}`. */
  template(path: string): string {
    const found = Object.keys(this.#document.paths).find((template) =>
      new RegExp(`^${template.replace(/\{[^}]+\}/g, "[^/]+")}$`).test(path)
    );
    assert.ok(found, `the document has no path for ${path}`);
    return found;
  }

  /** Checks one JSON value against the schema of `method path status type`. */
  check(method: string, path: string, status: number, type: string, value: unknown): void {
    const template = this.template(path);
    const operation = this.#document.paths[template][method.toLowerCase()];
    assert.ok(operation, `the document has no ${method} ${template}`);
    const response = operation.responses[String(status)] as
      | { content?: Record<string, { schema: Schema }> }
      | undefined;
    assert.ok(response, `the document has no ${status} answer for ${method} ${template}`);
    if (status === 204) {
      assert.equal(response.content, undefined, `${method} ${template} 204 documents no body`);
      assert.equal(value, undefined, `${method} ${path} 204 has no body`);
      this.seen.add(`${method} ${template} ${status}`);
      return;
    }
    const media = response.content?.[type];
    assert.ok(media, `the document has no ${type} for ${status} of ${method} ${template}`);
    const key = `${method} ${template} ${status} ${type}`;
    let validate = this.#compiled.get(key);
    if (!validate) {
      // The schema, with the components beside it so `#/components/schemas/…` resolves.
      validate = this.#ajv.compile({
        $id: `https://kinetik.test/${this.#compiled.size}`,
        components: this.#document.components,
        ...media.schema,
      });
      this.#compiled.set(key, validate);
    }
    assert.ok(
      validate(value),
      `${key} does not match the document: ${JSON.stringify(validate.errors)}\n${
        JSON.stringify(value)
      }`,
    );
    this.seen.add(`${method} ${template} ${status}`);
  }

  /** Checks a value against one component schema, e.g. `QueueEvent`. */
  checkComponent(name: string, value: unknown): void {
    let validate = this.#compiled.get(name);
    if (!validate) {
      validate = this.#ajv.compile({
        $id: `https://kinetik.test/${this.#compiled.size}`,
        components: this.#document.components,
        $ref: `#/components/schemas/${name}`,
      });
      this.#compiled.set(name, validate);
    }
    assert.ok(validate(value), `${name} does not match: ${JSON.stringify(validate.errors)}`);
  }

  /** Every documented operation, as `[METHOD, template, statuses]`. */
  operations(): [string, string, string[]][] {
    return Object.entries(this.#document.paths).flatMap(([template, operations]) =>
      Object.entries(operations).map(([method, operation]) =>
        [method.toUpperCase(), template, Object.keys(operation.responses)] as [
          string,
          string,
          string[],
        ]
      )
    );
  }

  /** Sends a request through `api` and checks its answer; resolves to the parsed body. */
  async call(
    api: TestApi,
    path: string,
    init: Parameters<TestApi["call"]>[1] & { method?: string } = {},
  ): Promise<{ status: number; body: unknown }> {
    const method = init.method ?? (init.json === undefined ? "GET" : "POST");
    const response = await api.call(path, { ...init, method });
    const type = (response.headers.get("content-type") ?? "").split(";")[0];
    const text = await response.text();
    const body = text === "" ? undefined : JSON.parse(text);
    this.check(method, path.split("?")[0], response.status, type, body);
    return { status: response.status, body };
  }
}

test("the OpenAPI document is valid OpenAPI 3.1 and served without a token", async () => {
  const queue = kinetik();
  const api = await serveApi(queue, { token: "t" });
  try {
    const document = await jsonOf<Document & { openapi: string }>(
      await api.call("/api/openapi.json"),
      200,
    );
    assert.equal(document.openapi, "3.1.0");
    const result = await new Validator().validate(document as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
  } finally {
    await api.close();
    await queue.close();
  }
});

test("every route's real answers match the OpenAPI document, and every operation is answered", async () => {
  const queue = kinetik();
  queue.define("resize").tag("media").timeout("1m").retry("1s", 2);
  const api = await serveApi(queue, { token: "t", heartbeat: 10 });
  const checker = new ResponseChecker(
    await jsonOf<Document>(await api.call("/api/openapi.json"), 200),
  );
  const call = (path: string, init: Parameters<ResponseChecker["call"]>[2] = {}) =>
    checker.call(api, path, { token: "t", ...init });
  try {
    const events = await api.call("/api/events?task=resize", { token: "t" });
    assert.equal(events.headers.get("content-type"), "text/event-stream; charset=utf-8");
    checker.seen.add("GET /api/events 200");
    const reader = new SseReader(events);

    const one = await call("/api/jobs", { json: { task: "resize", data: { n: 1 }, key: "k" } });
    assert.equal(one.status, 201);
    const job = (one.body as { job: Job }).job;
    await call("/api/jobs", { json: [{ task: "resize", delay: "1h" }, { task: "crop" }] });
    await call("/api/jobs", { json: { task: "" } });
    await call("/api/jobs", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "x",
    });
    await call("/api/jobs", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(1_048_577),
    });
    await call("/api/jobs?limit=1");
    await call("/api/jobs?status=queued,delayed&tag=media&sort=-created");
    await call("/api/jobs?limit=0");
    await call(`/api/jobs/${job.id}`);
    await call("/api/jobs/999");
    await call("/api/jobs/a%20b");
    await call(`/api/jobs/${job.id}/logs`);
    await call("/api/jobs/999/logs");
    await call(`/api/jobs/${job.id}/retry`, { method: "POST" });
    await call(`/api/jobs/${job.id}/cancel`, { method: "POST" });
    await call(`/api/jobs/${job.id}/cancel`, { method: "POST" });
    await call("/api/jobs/999/cancel", { method: "POST" });
    await call(`/api/jobs/${job.id}/retry`, { method: "POST" });
    await call("/api/jobs/999/retry", { method: "POST" });
    for (const action of ["logs", "cancel", "retry"]) {
      await call(`/api/jobs/a%20b/${action}`, { method: action === "logs" ? "GET" : "POST" });
    }
    const delayed = (await queue.create("resize", {}, "1h")).id;
    await call(`/api/jobs/${delayed}/promote`, { method: "POST" });
    await call(`/api/jobs/${delayed}/promote`, { method: "POST" });
    await call("/api/jobs/999/promote", { method: "POST" });
    await call("/api/jobs/a%20b/promote", { method: "POST" });
    await call(`/api/jobs/${delayed}`, { method: "DELETE" });
    await call(`/api/jobs/${delayed}`, { method: "DELETE" });
    await call("/api/jobs/a%20b", { method: "DELETE" });
    await call("/api/retry", { json: { task: "resize" } });
    await call("/api/retry", { json: { $where: "1" } });
    await call("/api/retry", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    await call("/api/retry", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(1_048_577),
    });
    await call("/api/workers");
    await call("/api/metrics?since=1h&bucket=5m");
    await call("/api/metrics?bucket=7s");
    await call("/api/schedules/digest", { method: "PUT", json: { every: "1h", task: "resize" } });
    await call("/api/schedules/digest", { method: "PUT", json: { every: "1ms" } });
    await call("/api/schedules/digest", {
      method: "PUT",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    await call("/api/schedules/digest", {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: "x".repeat(1_048_577),
    });
    await call("/api/schedules");
    await call("/api/schedules/digest", { method: "DELETE" });
    await call("/api/schedules/digest", { method: "DELETE" });
    await call("/api/schedules/a%20b", { method: "DELETE" });
    await call("/api/paused");
    for (const action of ["pause", "resume"]) {
      await call(`/api/${action}`, { json: { tags: ["media"] } });
      await call(`/api/${action}`, { json: {} });
      await call(`/api/${action}`, {
        method: "POST",
        headers: { "content-type": "text/plain" },
        body: "{}",
      });
      await call(`/api/${action}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "x".repeat(1_048_577),
      });
    }
    await call("/api/events?type=done");
    await call("/api/clean", {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: "{}",
    });
    await call("/api/clean", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(1_048_577),
    });
    await call("/api/stats");
    await call("/api/tasks");
    await call("/api/clean", { json: { status: ["cancelled", "completed"] } });
    await call("/api/clean", { json: { before: "1d" } });
    await call("/api/clean", { json: { status: "gone" } });
    await call("/api/stats", { token: "wrong" });

    for (const type of ["created", "created", "cancelled"]) {
      const { event, data } = await reader.nextEvent();
      assert.equal(event, type);
      checker.checkComponent("QueueEvent", data);
    }
    await reader.cancel();

    // Every operation answers 401 without the token (but the document itself) ...
    for (const [method, template] of checker.operations()) {
      if (template === "/api/openapi.json") continue;
      const path = template.replace("{id}", String(job.id));
      const { status } = await checker.call(api, path, { method });
      assert.equal(status, 401, `${method} ${path}`);
    }
    // ... and every write 403 in read-only mode.
    const readOnly = await serveApi(queue, { readOnly: true });
    try {
      for (const [method, template] of checker.operations()) {
        if (method === "GET") continue;
        const path = template.replace("{id}", String(job.id));
        const { status } = await checker.call(readOnly, path, { method });
        assert.equal(status, 403, `${method} ${path}`);
      }
    } finally {
      await readOnly.close();
    }
    await call("/api/openapi.json");
    // A store without the newer verbs answers 501.
    const legacyStore = new MemoryStore();
    Object.assign(legacyStore, {
      promote: undefined,
      removeJob: undefined,
      schedule: undefined,
      pause: undefined,
      metrics: undefined,
    });
    const legacyQueue = kinetik(legacyStore);
    const legacy = await serveApi(legacyQueue);
    try {
      const id = (await legacyQueue.create("resize", {}, "1h")).id;
      for (
        const [method, path] of [["POST", `/api/jobs/${id}/promote`], ["DELETE", `/api/jobs/${id}`]]
      ) {
        assert.equal((await checker.call(legacy, path, { method })).status, 501);
      }
      const clean = await checker.call(legacy, "/api/clean", { json: { before: "1d" } });
      assert.equal(clean.status, 501);
      for (
        const [method, path, json] of [
          ["GET", "/api/schedules"],
          ["PUT", "/api/schedules/x", { every: "1h" }],
          ["DELETE", "/api/schedules/x"],
          ["GET", "/api/paused"],
          ["GET", "/api/metrics"],
          ["POST", "/api/pause", "media"],
          ["POST", "/api/resume", "media"],
        ] as const
      ) {
        assert.equal((await checker.call(legacy, path, { method, json })).status, 501, path);
      }
    } finally {
      await legacy.close();
      await legacyQueue.close();
    }
  } finally {
    await api.close();
    await queue.close();
  }
  for (const [method, template, statuses] of checker.operations()) {
    for (const status of statuses) {
      const key = `${method} ${template} ${status}`;
      assert.ok(checker.seen.has(key), `no answer was checked for ${key}`);
    }
  }
});
