/**
 * `runCli()`, the `kinetik` command line in process: `--version`, which store a command
 * works on (and never creating one to read it), and errors as JSON for `--json` commands.
 * The binary end to end is `cli_test.ts`.
 */

import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { kinetik } from "../mod.ts";
import { runCaptured } from "./_cli_process.ts";

const dir = mkdtempSync(join(tmpdir(), "kinetik-run-cli-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const version = JSON.parse(readFileSync(new URL("../deno.json", import.meta.url), "utf8")).version;

let files = 0;
/** A `sqlite:` URL of a file that does not exist yet. */
function newStore(): { url: string; path: string } {
  const path = join(dir, `k${++files}.db`);
  return { url: `sqlite:${path}`, path };
}

test("runCli() prints the version from deno.json for --version and -V", async () => {
  for (const flag of ["--version", "-V"]) {
    assert.deepEqual(await runCaptured([flag]), {
      code: 0,
      stdout: `kinetik ${version}\n`,
      stderr: "",
    });
  }
  const script = await runCaptured(["--version"], { program: "queue.ts", queue: kinetik() });
  assert.equal(script.stdout, `queue.ts (kinetik ${version})\n`);
  assert.match((await runCaptured(["--help"])).stdout, /-V, --version +print the version/);
  const typo = await runCaptured(["--verison"]);
  assert.equal(typo.code, 2);
  assert.equal(
    typo.stderr,
    "kinetik: unknown option --verison (did you mean --version?); see kinetik --help\n",
  );
});

test("runCli() read commands refuse a SQLite store that does not exist, and create none", async () => {
  const { url, path } = newStore();
  for (const args of [["jobs"], ["tasks"], ["show", "1"], ["cancel", "1"], ["retry", "1"]]) {
    const result = await runCaptured([...args, "--store", url]);
    assert.equal(result.code, 1, `${args.join(" ")}: ${result.stderr}`);
    assert.equal(
      result.stderr,
      `kinetik: no store at ${url}: ${path} does not exist ` +
        `(kinetik add creates it; --store URL or KINETIK_STORE opens another)\n`,
    );
    assert.equal(result.stdout, "");
  }
  for (const args of [["clean"], ["watch", "--count", "1"]]) {
    assert.equal((await runCaptured([...args, "--store", url])).code, 1, args.join(" "));
  }
  assert.equal(existsSync(path), false, "no command created the file");

  const added = await runCaptured(["add", "send email", "--store", url]);
  assert.equal(added.code, 0, added.stderr);
  assert.ok(existsSync(path), "add creates the store");
  assert.equal((await runCaptured(["jobs", "--store", url])).code, 0);
});

test("runCli() names the store it works on, with any password masked", async () => {
  const { url } = newStore();
  const added = await runCaptured(["add", "send email", "--store", url]);
  assert.equal(added.stdout, `Created job 1 (send email) in ${url}, queued.\n`);
  assert.match(
    (await runCaptured(["jobs", "--store", url])).stdout,
    new RegExp(`^Jobs in ${url}\n`),
  );
  assert.equal(
    JSON.parse((await runCaptured(["jobs", "--json", "--store", url])).stdout).store,
    url,
  );
  const missing = await runCaptured(["show", "7", "--store", url]);
  assert.equal(missing.stderr, `kinetik: no job with id 7 in ${url}\n`);
  const cleaned = await runCaptured(["clean", "--store", url]);
  assert.equal(cleaned.stdout, `Removed 0 completed jobs from ${url}.\n`);
  const memory = await runCaptured(["jobs", "--store", "memory:"]);
  assert.equal(memory.stdout, "No jobs in memory:.\n");

  const redis = await runCaptured(["jobs", "--store", "redis://user:s3cret@127.0.0.1:1"]);
  assert.equal(redis.code, 1);
  assert.doesNotMatch(redis.stderr, /s3cret/);
});

test("runCli() prints errors as one JSON line on stderr for --json commands", async () => {
  const { url } = newStore();
  const missing = await runCaptured(["jobs", "--json", "--store", url]);
  assert.equal(missing.code, 1);
  assert.equal(missing.stdout, "");
  const error = JSON.parse(missing.stderr);
  assert.match(error.error.message, /^no store at sqlite:.*does not exist/);
  assert.equal(error.error.exitCode, 1);
  assert.equal(missing.stderr.split("\n").length, 2, "one line");

  const usage = await runCaptured(["add", "x", "{bad", "--json", "--store", url]);
  assert.equal(usage.code, 2);
  const refused = JSON.parse(usage.stderr);
  assert.match(
    refused.error.message,
    /^add: data must be valid JSON .*: current value is "\{bad"$/,
  );
  assert.equal(refused.error.exitCode, 2);
  const text = await runCaptured(["add", "x", "{bad", "--store", url]);
  assert.match(text.stderr, /^kinetik: add: data must be valid JSON/, "text without --json");
});
