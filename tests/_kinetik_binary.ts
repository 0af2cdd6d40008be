/**
 * The `kinetik` binary for the end-to-end CLI tests, built from `cli.ts` with
 * `bun build --compile` into a temp dir (`deno compile` needs a runtime download this
 * project's CI cannot make), and what those tests share. Bun resolves npm packages from
 * node_modules only: `tests/_suite.ts` runs `bun install` first, as `deno task test` does.
 * @module
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Queue } from "../mod.ts";
import { openStore } from "../src/open_store.ts";

/** The project root, where `cli.ts` is. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/**
 * Builds the binary as `dir/kinetik`.
 *
 * @returns its path, or the reason it could not be built (a string starting with "bun")
 */
export function buildKinetik(dir: string): { bin: string } | string {
  const bin = join(dir, "kinetik");
  const built = spawnSync("bun", ["build", "--compile", "cli.ts", "--outfile", bin], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (built.error) return `bun is not available to build the binary (${built.error.message})`;
  if (built.status !== 0) {
    const hint = existsSync(join(ROOT, "node_modules"))
      ? ""
      : " (no node_modules: run bun install, or deno task test, which runs it)";
    const error = built.stderr.split("\n").find((line) => /error/i.test(line)) ?? built.stderr;
    return `bun build --compile cli.ts failed${hint}: ${error.trim()}`;
  }
  return { bin };
}

/**
 * A time limit for a test that runs the binary a few times: each run starts a 100 MB
 * executable, about 0.2 s on Bun under the parallel suite, and Bun's default is 5 s a test.
 */
export const SLOW = 30_000;

/** Runs `fn` with a queue on `url`, closed afterwards. */
export async function withQueue<T>(url: string, fn: (queue: Queue) => Promise<T>): Promise<T> {
  const queue = new Queue(await openStore(url));
  try {
    return await fn(queue);
  } finally {
    await queue.close();
  }
}

/** Asserts that a command failed with one line on stderr, matching `pattern`. */
export function assertOneLineError(stderr: string, pattern: RegExp): void {
  assert.match(stderr, /^kinetik: [^\n]+\n$/, `expected one line on stderr, got ${stderr}`);
  assert.match(stderr, pattern);
}
