/**
 * The `kinetik` binary for end-to-end tests: built once per test file with
 * `bun build --compile` into a temp dir that is removed afterwards. @module
 */

import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("..", import.meta.url));

/** The built binary and the temp dir beside it, or why they could not be built. */
export type Built = { bin: string; dir: string; skip?: undefined } | { skip: string };

/** Builds `cli.ts` into a fresh temp dir (removed after the file's tests). */
export function buildBinary(): Built {
  const dir = mkdtempSync(join(tmpdir(), "kinetik-bin-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const bin = join(dir, "kinetik");
  const built = spawnSync("bun", ["build", "--compile", "cli.ts", "--outfile", bin], {
    cwd: ROOT,
    encoding: "utf8",
  });
  if (built.error) {
    return { skip: `bun is not available to build the binary (${built.error.message})` };
  }
  if (built.status !== 0) return { skip: `bun build failed:\n${built.stderr}` };
  return { bin, dir };
}
