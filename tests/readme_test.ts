/**
 * The README, as a newcomer follows it. Its Quick start is `examples/basic.ts` (which
 * `examples_test.ts` runs), and the `kinetik` session under "Command line" replays as typed:
 * the binary built as `deno task compile:bun` builds it, a real worker (`examples/worker.ts`),
 * the default store in a fresh directory. Times, worker ids and other values of the run that
 * produced the README are compared by shape only.
 */

import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { Queue } from "../mod.ts";
import { openStore } from "../src/open_store.ts";
import { runBinary, spawnChild } from "./_cli_process.ts";
import { waitFor } from "./_helpers.ts";
import { buildKinetik, ROOT } from "./_kinetik_binary.ts";
import { unavailable } from "./_unavailable.ts";

const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The first fenced block of `lang` after the heading `heading` that contains `text`. */
function codeBlock(heading: string, lang: string, text = ""): string {
  const section = README.slice(README.indexOf(`\n${heading}\n`));
  const blocks = section.matchAll(new RegExp("```" + lang + "\\n([^]*?)```", "g"));
  const block = [...blocks].map((match) => match[1]).find((body) => body.includes(text));
  assert.ok(block !== undefined, `a ${lang} block under ${heading}`);
  return block;
}

test("README's Quick start is examples/basic.ts, importing @kinetik/kinetik", () => {
  const file = readFileSync(join(ROOT, "examples", "basic.ts"), "utf8");
  // The file's own doc comment says where it comes from; the README says it in prose.
  const body = file.slice(file.indexOf("*/\n") + 3).trimStart();
  const expected = body.replace('from "../mod.ts";', 'from "@kinetik/kinetik";');
  assert.equal(codeBlock("## Quick start", "ts"), expected);
});

/** One `$` line of the session and what the README shows after it. */
interface Step {
  command: string;
  output: string[];
}

function steps(block: string): Step[] {
  const result: Step[] = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("$ ")) result.push({ command: line.slice(2), output: [] });
    else if (!line.startsWith("# ") && result.length > 0) result.at(-1)!.output.push(line);
  }
  for (const step of result) {
    while (step.output.at(-1) === "") step.output.pop();
  }
  return result;
}

/** A command line split as a POSIX shell splits it (quotes, and a `#` comment). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const pattern = /\s*(?:'([^']*)'|"((?:[^"\\]|\\.)*)"|(#.*)|(\S+))/gy;
  for (const match of line.matchAll(pattern)) {
    if (match[3] !== undefined) break;
    words.push(match[1] ?? match[2]?.replace(/\\(.)/g, "$1") ?? match[4]);
  }
  return words;
}

/** A line with the values of one run (times, durations, worker ids) replaced by their kind. */
function shape(line: string): string {
  return line
    .replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, "<iso>")
    .replace(/\b\d\d:\d\d:\d\d\b/g, "<clock>")
    .replace(/\b(\d+[smhd] ago|in \d+[smhd]\b|just now)/g, "<when>")
    .replace(/\b\d+(\.\d+)?m?s\b/g, "<duration>")
    .replace(/^\S+:\d+:[0-9a-f]+ +\S+ +\d+ /, "<worker> <host> <pid> ")
    .replace(/\s+/g, " ")
    .trim();
}

/** The lines of a command's output. */
function lines(text: string): string[] {
  return text === "" ? [] : text.replace(/\n$/, "").split("\n");
}

/** Asserts `actual` has the README's lines, where a `…` line stands for any lines. */
function assertLines(actual: string[], expected: string[], what: string): void {
  const got = actual.map(shape);
  const segments: string[][] = [[]];
  for (const line of expected) {
    if (line.trim() === "…") segments.push([]);
    else segments.at(-1)!.push(shape(line));
  }
  const message = `${what}:\n${actual.join("\n")}\n--- README ---\n${expected.join("\n")}`;
  const [first, ...rest] = segments;
  assert.deepEqual(got.slice(0, first.length), first, message);
  let at = first.length;
  for (const segment of rest) {
    let found = -1;
    for (let i = at; i + segment.length <= got.length && found < 0; i++) {
      if (segment.every((line, j) => got[i + j] === line)) found = i;
    }
    assert.ok(found >= 0, message);
    at = found + segment.length;
  }
  if (rest.length === 0) assert.equal(got.length, first.length, message);
}

const dir = mkdtempSync(join(tmpdir(), "kinetik-readme-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const built = buildKinetik(dir);
const skip = unavailable("the README session test", typeof built === "string" ? built : undefined);

/** The tasks examples/worker.ts runs: jobs of others wait for ever, as the session shows. */
const WORKER_TASKS = ["send email", "resize image"];

test("README's kinetik session replays as typed against a worker", {
  skip,
  timeout: 60_000,
}, async () => {
  const bin = typeof built === "string" ? "" : built.bin;
  const work = join(dir, "work"); // the clone's directory of the session: its kinetik.db
  const env = { KINETIK_STORE: "" }; // the default store, sqlite:kinetik.db
  mkdirSync(work);
  const [first, ...session] = steps(codeBlock("## Command line", "sh", "$ ./kinetik"));
  assert.equal(first.command, "QUEUE=messaging,media deno task work");
  // `deno task work` is `examples/worker.ts` with the project's config, in the clone.
  const script = join(ROOT, "examples", "worker.ts");
  const worker = spawnChild(
    process.execPath,
    "Deno" in globalThis ? ["run", "-A", "--config", join(ROOT, "deno.json"), script] : [script],
    { cwd: work, env: { ...env, QUEUE: "messaging,media" } },
  );
  let queue: Queue | undefined;
  try {
    await worker.printed("(Ctrl-C to stop)");
    queue = new Queue(await openStore(`sqlite:${join(work, "kinetik.db")}`));
    for (const step of session) {
      const [program, ...args] = shellWords(step.command);
      assert.equal(program, "./kinetik", step.command);
      // `watch` runs until Ctrl-C; cli_test.ts and cli_watch_test.ts test it.
      if (args[0] === "watch") continue;
      await idle(queue);
      const result = await runBinary(bin, args, { cwd: work, env });
      const code = Number(/# exit (\d)$/.exec(step.output.join("\n"))?.[1] ?? 0);
      assert.equal(result.code, code, `${step.command}: ${result.stderr}`);
      const expected = step.output.map((line) => line.replace(/\s+# exit \d$/, ""));
      // What a terminal shows interleaved comes from two pipes here: stderr's lines are the
      // ones that start with "kinetik:".
      const isError = (line: string) => line.startsWith("kinetik:");
      assertLines(lines(result.stdout), expected.filter((l) => !isError(l)), step.command);
      assertLines(lines(result.stderr), expected.filter(isError), step.command);
    }
  } finally {
    await queue?.close();
    worker.child.kill("SIGTERM");
    await worker.exited;
  }
});

/**
 * Waits until the worker has nothing to do now, as a person typing gives it time to: no job
 * running, none of its tasks queued or due within a few seconds.
 */
async function idle(queue: Queue): Promise<void> {
  const soon = () => Date.now() + 5_000;
  await waitFor(
    async () =>
      await queue.count({ status: "processing" }) === 0 &&
      await queue.count({ task: { $in: WORKER_TASKS }, status: "queued" }) === 0 &&
      await queue.count({
          task: { $in: WORKER_TASKS },
          status: "delayed",
          runAt: { $lt: soon() },
        }) === 0,
    20_000,
    "the worker to finish what is due",
  );
}
