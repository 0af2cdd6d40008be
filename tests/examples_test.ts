/**
 * The examples, run as a newcomer runs them: each in a child process of the current runtime
 * (Deno or Bun), which must exit by itself with code 0 and print what the example promises.
 */

import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { describe, test } from "node:test";
import assert from "node:assert/strict";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
// deno-lint-ignore no-explicit-any
const isBun = typeof (globalThis as any).Bun !== "undefined";
/** A hung example is killed after this long (unless its test says less), and its test fails. */
const KILL_AFTER = 20_000;

interface Exit {
  code: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  /** How long it had before it was killed. */
  killAfter: number;
}

function runExample(
  name: string,
  { env = {}, killAfter = KILL_AFTER }: { env?: Record<string, string>; killAfter?: number } = {},
): Promise<Exit> {
  const file = fileURLToPath(new URL(`../examples/${name}`, import.meta.url));
  const args = isBun ? [file] : ["run", "-A", file];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => stdout += chunk);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => stderr += chunk);
    const timer = setTimeout(() => child.kill("SIGKILL"), killAfter);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, killAfter });
    });
  });
}

function assertExitedCleanly(exit: Exit): void {
  assert.equal(exit.signal, null, `killed after ${exit.killAfter} ms; stdout:\n${exit.stdout}`);
  assert.equal(exit.code, 0, `stderr:\n${exit.stderr}`);
  assert.equal(exit.stderr, "");
}

/** The demo's `queue.stats()` table, as row name → column → count. */
function statsTable(stdout: string): Map<string, Record<string, number>> {
  const lines = stdout.split("\n");
  const first = lines.indexOf("queue.stats()") + 1;
  assert.ok(first > 0, `no stats table in:\n${stdout}`);
  const [header, ...rows] = lines.slice(first, lines.indexOf("", first));
  const columns = header.trim().split(/\s{2,}/).slice(1);
  return new Map(rows.map((row) => {
    const [name, ...cells] = row.trim().split(/\s{2,}/);
    return [name, Object.fromEntries(columns.map((column, i) => [column, Number(cells[i])]))];
  }));
}

// Bun's default test timeout is 5 s, and it ignores a timeout given to describe().
const OPTIONS = { timeout: KILL_AFTER + 5_000 };

describe("examples", () => {
  test(
    "demo.ts runs every job to a final status, then prints stats and a log",
    OPTIONS,
    async () => {
      const exit = await runExample("demo.ts", { killAfter: 15_000 });
      assertExitedCleanly(exit);
      for (const type of ["created", "started", "log", "progress", "retry", "completed"]) {
        assert.match(
          exit.stdout,
          new RegExp(`^\\s*\\+\\d+\\.\\d{3}s\\s+#\\d+\\s+.+\\s${type}\\s`, "m"),
        );
      }
      assert.match(exit.stdout, /#\d+\s+send email\s+timeout\s+Timed out after 500ms/);

      const table = statsTable(exit.stdout);
      assert.deepEqual([...table.keys()], [
        "messaging",
        "send email",
        "sync contacts",
        "media",
        "resize image",
        "analytics",
        "aggregate stats",
        "all",
      ]);
      assert.deepEqual(table.get("all"), { total: 8, completed: 7, timeout: 1 });
      assert.deepEqual(table.get("sync contacts"), { total: 1, completed: 1, timeout: 0 });

      const log = exit.stdout.slice(exit.stdout.indexOf("queue.logs("));
      assert.match(
        log,
        /Started \(attempt 1\)[^]*Failed: CRM unavailable \(503\); retry 1 in 200ms/,
      );
      assert.match(log, /Started \(attempt 2\)[^]*Synced contacts[^]*Completed in \d+ms/);
    },
  );

  test("basic.ts completes its one job and prints its log", OPTIONS, async () => {
    const exit = await runExample("basic.ts");
    assertExitedCleanly(exit);
    assert.match(exit.stdout, /job 1: started\njob 1: log\njob 1: completed\n/);
    assert.match(exit.stdout, /status: completed/);
    assert.match(exit.stdout, /log: Sent "Hello Universe" to Ford Prefect\n\s+log: Completed in/);
  });

  test(
    "streams.ts reads queue.events(), task.events() and queue.watch() to the end",
    OPTIONS,
    async () => {
      const exit = await runExample("streams.ts");
      assertExitedCleanly(exit);
      assert.match(exit.stdout, /\[queue\.events\] #1 send email: completed/);
      assert.match(exit.stdout, /\[queue\.events\] #2 resize image: completed/);
      assert.match(exit.stdout, /\[task\.events\] #2: progress 3\/3/);
      assert.doesNotMatch(exit.stdout, /\[task\.events\] #1/);
      assert.match(exit.stdout, /\[queue\.watch\] #2: completed/);
    },
  );

  test(
    "demo.ts on the memory store downloads no store driver into an empty DENO_DIR",
    { ...OPTIONS, skip: isBun && "Bun resolves from node_modules and downloads nothing" },
    async () => {
      const cache = mkdtempSync(join(tmpdir(), "kinetik-deno-dir-"));
      try {
        const exit = await runExample("demo.ts", { env: { DENO_DIR: cache } });
        assert.equal(exit.code, 0, exit.stderr);
        const npm = join(cache, "npm", "registry.npmjs.org");
        const fetched = existsSync(npm) ? readdirSync(npm).sort() : [];
        // The core's own dependencies (durations, queries, cron), and no store driver.
        assert.deepEqual(fetched, ["croner", "ms", "sift"], `downloaded:\n${exit.stderr}`);
      } finally {
        rmSync(cache, { recursive: true, force: true });
      }
    },
  );
});
