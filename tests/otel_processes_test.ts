import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { kinetik, otel } from "../mod.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { PATIENCE, waitFor } from "./_helpers.ts";
import { exporter } from "./_otel.ts";

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

test(
  "otel() parents a run in one process to the span that created its job in another (SQLite)",
  { timeout: 60_000 },
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
        // Other test files may share this process's exporter (bun test): find the run's span
        // by its trace.
        const inTrace = () =>
          exporter.getFinishedSpans().filter((span) =>
            span.spanContext().traceId === created.traceId
          );
        await waitFor(() => inTrace().length > 0, PATIENCE, "the run's span");
        const [span] = inTrace();
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
