import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { kinetik, otel } from "../mod.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { PATIENCE, waitFor } from "./_helpers.ts";

const exporter = new InMemorySpanExporter();
api.trace.setGlobalTracerProvider(
  new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }),
);
api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
api.propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const isBun = "bun" in process.versions;
const config = fileURLToPath(new URL("../deno.json", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/otel_producer.ts", import.meta.url));

/** Runs the producer fixture to its end (killed after 30 s); resolves to what it printed. */
function produce(
  path: string,
  task: string,
): Promise<{ id: string; traceId: string; spanId: string }> {
  const argv = isBun
    ? [fixture, path, task]
    : ["run", "-A", `--config=${config}`, fixture, path, task];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`the producer failed: ${error.message}\n${stderr}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/**
 * Whether this branch's SQLite store keeps `Job.trace` (the store's wave-2 fields land with
 * its own branch): without it the context cannot cross processes, and the test says why.
 */
async function keepsTrace(): Promise<boolean> {
  const store = new SqliteStore({ path: ":memory:" });
  try {
    const log = { time: 0, message: "Created" };
    const [job] = await store.add([
      { task: "probe", data: null, created: 0, priority: 0, log, trace: { traceparent: "x" } },
    ]);
    return (await store.get(job.id))?.trace?.traceparent === "x";
  } finally {
    await store.close();
  }
}

test(
  "otel() parents a run in one process to the span that created its job in another (SQLite)",
  {
    timeout: 60_000,
    skip: !await keepsTrace() &&
      "the SQLite store of this branch does not keep Job.trace yet (its store branch adds it)",
  },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "kinetik-otel-"));
    const path = join(dir, "jobs.db");
    await new SqliteStore({ path }).close(); // the schema, before two processes open the file
    try {
      const created = await produce(path, "ship order");
      const queue = kinetik(new SqliteStore({ path }), { interval: "1h" });
      queue.use(await otel());
      queue.define("ship order").action(() => {});
      try {
        queue.process("default");
        const job = await queue.wait(created.id, { timeout: PATIENCE });
        assert.equal(job.status, "completed");
        assert.equal(job.trace?.traceparent, `00-${created.traceId}-${created.spanId}-01`);
        await waitFor(() => exporter.getFinishedSpans().length > 0, PATIENCE, "the run's span");
        const [span] = exporter.getFinishedSpans();
        assert.equal(span.name, "kinetik.run ship order");
        assert.equal(span.spanContext().traceId, created.traceId);
        assert.equal(span.parentSpanContext?.spanId, created.spanId);
        assert.equal(span.parentSpanContext?.isRemote, true);
        assert.equal(span.attributes["kinetik.job.id"], created.id);
      } finally {
        await queue.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
