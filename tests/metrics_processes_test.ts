import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { kinetik } from "../mod.ts";
import { SqliteStore } from "../stores/sqlite.ts";

const isBun = "bun" in process.versions;
const config = fileURLToPath(new URL("../deno.json", import.meta.url));
const fixture = fileURLToPath(new URL("./fixtures/metrics_worker.ts", import.meta.url));

/** Runs a worker until nothing is left for it (killed after 30 s). */
function work(path: string): Promise<void> {
  const args = [path];
  const argv = isBun ? [fixture, ...args] : ["run", "-A", `--config=${config}`, fixture, ...args];
  return new Promise((resolve, reject) => {
    execFile(process.execPath, argv, { timeout: 30_000 }, (error, _stdout, stderr) => {
      if (error) reject(new Error(`the worker failed: ${error.message}\n${stderr}`));
      else resolve();
    });
  });
}

test("queue.metrics() reads the counts two worker processes wrote to one SQLite file", {
  timeout: 60_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "kinetik-metrics-"));
  const path = join(dir, "jobs.db");
  const queue = kinetik(new SqliteStore({ path }));
  try {
    await queue.createMany(
      Array.from({ length: 40 }, (_, i) => ({ task: "tick", data: { fail: i % 4 === 0 } })),
    );
    // Each stops once nothing is left for it; together they end every run.
    await Promise.all([work(path), work(path)]);
    const { tasks, total } = await queue.metrics();
    assert.deepEqual(Object.keys(tasks), ["tick"]);
    assert.equal(total.overall.completed, 30);
    assert.equal(total.overall.failed, 10);
    assert.equal(typeof total.overall.p50, "number");
  } finally {
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
