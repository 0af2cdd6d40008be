/**
 * The `deno task`s of deno.json, run as a newcomer runs them: in a fresh copy of the project
 * without node_modules or build output, so a task that silently relies on an earlier
 * `bun install` (or on another task) fails here.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { ROOT } from "./_kinetik_binary.ts";
import { hasRedisServer } from "./_redis_server.ts";
import { unavailable } from "./_unavailable.ts";

const isDeno = "Deno" in globalThis;
const deno = isDeno ? process.execPath : "deno";
const hasBun = !spawnSync("bun", ["--version"]).error;
const hasDeno = !spawnSync(deno, ["--version"]).error;
const skip = unavailable(
  "the deno task tests",
  !hasDeno ? "deno is not on PATH" : !hasBun ? "bun is not on PATH" : undefined,
);

/** What a fresh clone does not have: installs, builds, local stores, git data. */
const NOT_IN_A_CLONE = new Set([".git", "node_modules", "kinetik", "kinetik.tmp"]);
const copy = mkdtempSync(join(tmpdir(), "kinetik-tasks-"));
after(() => rmSync(copy, { recursive: true, force: true }));
cpSync(ROOT, copy, {
  recursive: true,
  filter: (source) => !NOT_IN_A_CLONE.has(basename(source)) && !/\.db(-wal|-shm)?$/.test(source),
});

/** Runs `deno task NAME ARGS…` in the copy. */
function task(name: string, args: string[] = [], env: Record<string, string> = {}) {
  const run = spawnSync(deno, ["task", name, ...args], {
    cwd: copy,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1", ...env },
    timeout: 120_000,
  });
  return { code: run.status, output: `${run.stdout}${run.stderr}` };
}

const version = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).version;
/** Stands in for a binary built earlier. */
const EARLIER = "\x7fELF an earlier kinetik build";

test("deno task compile:bun builds ./kinetik in a fresh clone, installing what it needs", {
  skip,
  timeout: 120_000,
}, () => {
  const built = task("compile:bun");
  assert.equal(built.code, 0, built.output);
  const run = spawnSync(join(copy, "kinetik"), ["--version"], { encoding: "utf8" });
  assert.equal(run.stdout, `kinetik ${version}\n`);
});

test("deno task compile:bun keeps an existing ./kinetik when the build fails", {
  skip,
  timeout: 120_000,
}, () => {
  const cli = readFileSync(join(copy, "cli.ts"), "utf8");
  writeFileSync(join(copy, "kinetik"), EARLIER);
  writeFileSync(join(copy, "cli.ts"), `${cli}\nexport const = ;\n`);
  try {
    const built = task("compile:bun");
    assert.notEqual(built.code, 0, "a syntax error fails the build");
    assert.equal(readFileSync(join(copy, "kinetik"), "utf8"), EARLIER);
  } finally {
    writeFileSync(join(copy, "cli.ts"), cli);
  }
});

test("deno task compile keeps an existing ./kinetik when the build fails", {
  skip,
  timeout: 120_000,
}, () => {
  writeFileSync(join(copy, "kinetik"), EARLIER);
  // Deno removes an existing executable at the output path before it writes the new one;
  // a runtime binary that does not exist makes that write fail, here and on any machine.
  const built = task("compile", [], { DENORT_BIN: join(copy, "no-such-denort") });
  assert.notEqual(built.code, 0, built.output);
  assert.equal(readFileSync(join(copy, "kinetik"), "utf8"), EARLIER);
});

test("deno task bench:peers runs Kinetik's cases under Deno and Bun in a fresh clone", {
  skip: skip ?? unavailable(
    "the bench:peers task test",
    hasRedisServer() ? undefined : "redis-server is not on PATH",
  ),
  timeout: 120_000,
}, () => {
  const flags = ["--reps", "1", "--jobs", "50", "--cases", "enqueue-bulk", "--no-count"];
  const run = task("bench:peers", [...flags, "--systems", "kinetik", "--runtimes", "deno,bun"]);
  assert.equal(run.code, 0, run.output);
  assert.match(run.output, /rep 1 enqueue-bulk kinetik@deno: \d+\/s/);
  assert.match(run.output, /rep 1 enqueue-bulk kinetik@bun: \d+\/s/);
  assert.doesNotMatch(run.output, /failed/);
});

test(
  "deno task bench:peers --store sqlite runs Kinetik's SQLite cases under Deno and Bun in a fresh clone",
  {
    skip,
    timeout: 120_000,
  },
  () => {
    const flags = ["--store", "sqlite", "--reps", "1", "--jobs", "50", "--latency-jobs", "5"];
    const cases = ["--cases", "enqueue-bulk,process-c1,latency"];
    const run = task("bench:peers", [
      ...flags,
      ...cases,
      "--systems",
      "kinetik",
      "--runtimes",
      "deno,bun",
    ]);
    assert.equal(run.code, 0, run.output);
    for (const name of ["enqueue-bulk", "process-c1"]) {
      for (const runtime of ["deno", "bun"]) {
        assert.match(run.output, new RegExp(`rep 1 ${name} kinetik@${runtime}: \\d+/s`));
      }
    }
    assert.match(run.output, /rep 1 latency kinetik@deno: \d+\/s p50 [\d.]+ p99 [\d.]+ ms/);
    assert.doesNotMatch(run.output, /failed/);
    const rows = JSON.parse(readFileSync(join(copy, "bench", "results", "latest.json"), "utf8"));
    const sqlite = rows.filter((row: { store: string }) => row.store === "sqlite");
    assert.equal(sqlite.length, 6, "3 cases × 2 runtimes");
    assert.ok(rows.some((row: { store: string }) => row.store === "redis"), "Redis rows are kept");
    assert.match(
      readFileSync(join(copy, "bench", "RESULTS.md"), "utf8"),
      /\| process-c1 \| bun \| kinetik \|/,
    );
  },
);
