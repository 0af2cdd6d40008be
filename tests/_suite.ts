/**
 * `deno task test` and `deno task test:bun`: runs the test command given as arguments and,
 * after the runner's summary, one line per reason tests were skipped (see `_unavailable.ts`),
 * so a skip is seen instead of buried in hundreds of lines.
 *
 * ```sh
 * deno run -A tests/_suite.ts deno test -A tests/
 * ```
 *
 * Before the tests it runs `bun install` when Bun is on PATH: the binary tests build the
 * `kinetik` command with `bun build --compile`, which resolves npm packages from
 * node_modules only, and `bun test` needs them too. A fresh clone needs no step by hand.
 * Exits with the test command's exit code. @module
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { SKIP_REPORT_ENV } from "./_unavailable.ts";

const root = fileURLToPath(new URL("..", import.meta.url));
const [command, ...args] = process.argv.slice(2);
if (command === undefined) {
  console.error("Usage: deno run -A tests/_suite.ts COMMAND [ARGS…]");
  process.exit(2);
}

const hasBun = !spawnSync("bun", ["--version"]).error;
if (hasBun) {
  const installed = spawnSync("bun", ["install", "--silent"], { cwd: root, stdio: "inherit" });
  if (installed.status !== 0) console.error(`bun install failed (${installed.status})`);
}

const dir = mkdtempSync(join(tmpdir(), "kinetik-suite-"));
const report = join(dir, "skipped.jsonl");
const code = await new Promise<number>((resolve) => {
  // `deno` is this very runtime, whatever PATH says.
  const program = command === "deno" && "Deno" in globalThis ? process.execPath : command;
  const child = spawn(program, args, {
    cwd: root,
    stdio: "inherit",
    env: { ...process.env, [SKIP_REPORT_ENV]: report },
  });
  child.once("error", (error) => {
    console.error(`${command}: ${error.message}`);
    resolve(127);
  });
  child.once("close", (status, signal) => resolve(status ?? (signal ? 128 : 1)));
});

let lines: string[] = [];
try {
  lines = readFileSync(report, "utf8").split("\n").filter(Boolean);
} catch {
  // No test reported a skip.
}
rmSync(dir, { recursive: true, force: true });
// One line per reason: every Redis test file reports the same missing server.
const byReason = new Map<string, string[]>();
for (const line of lines) {
  const { what, reason } = JSON.parse(line) as { what: string; reason: string };
  const whats = byReason.get(reason) ?? [];
  if (!whats.includes(what)) whats.push(what);
  byReason.set(reason, whats);
}
for (const [reason, whats] of byReason) {
  console.log(`skipped ${whats.join(", ")}: ${reason.split("\n")[0]}`);
}
process.exit(code);
