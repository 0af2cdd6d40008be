/**
 * `kinetik watch` (`src/cli/watch.ts`) in process on a memory queue: the lines it prints and,
 * on a terminal, the progress bars it keeps below them.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { kinetik } from "../mod.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { deferred } from "./_helpers.ts";

/** `promise`, or a rejection after `ms`: a regression fails instead of hanging. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out waiting for ${what}`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

// deno-lint-ignore no-control-regex
const ERASE = /(\x1b\[\d+A\x1b\[J)/;
// deno-lint-ignore no-control-regex
const ERASE_ONE = /^\x1b\[(\d+)A\x1b\[J$/;

/**
 * The lines a terminal shows after `writes`: `ESC[nA ESC[J` (cursor up n lines, clear to
 * the end of the screen) removes the last n lines, as watch uses it to redraw its bars.
 */
function screen(writes: readonly string[]): string[] {
  const lines: string[] = [];
  for (const write of writes) {
    for (const part of write.split(ERASE)) {
      const up = ERASE_ONE.exec(part);
      if (up) lines.splice(-Number(up[1]));
      else lines.push(...part.split("\n").filter(Boolean));
    }
  }
  return lines;
}

test("watch --type progress,completed removes the bar of a job that failed", async () => {
  const queue = kinetik({ interval: 10 });
  queue.define("resize image").action((job) => {
    job.progress(1, 2);
    throw new Error("disk full");
  });
  queue.define("send email").action(() => {});
  const writes: string[] = [];
  const watching = deferred();
  const stop = new AbortController();
  const run = runCli(["watch", "--type", "progress,completed", "--count", "2"], {
    queue,
    isTTY: true,
    isColor: false,
    signal: stop.signal,
    stdout: (text) => writes.push(text),
    stderr: (text) => text.startsWith("Watching") && watching.resolve(),
  });
  const timer = setTimeout(() => stop.abort(), 10_000);
  let resize;
  try {
    await within(watching.promise, 10_000, "watch to start");
    resize = await queue.create("resize image");
    await queue.create("send email");
    queue.process("default");
    assert.equal(await run, 0);
    assert.ok(!stop.signal.aborted, "watch saw its two events before the timeout");
  } finally {
    clearTimeout(timer);
    await queue.close();
  }
  const all = writes.join("");
  assert.match(all, new RegExp(`#${resize.id} resize image +\\[#+-+\\] 1/2`), "a bar was drawn");
  assert.doesNotMatch(all, /failed/, "--type leaves failures out");
  const shown = screen(writes);
  assert.equal(shown.length, 1, `one line left on screen:\n${shown.join("\n")}`);
  assert.match(shown[0], /^\d\d:\d\d:\d\d {2}completed {2}#2 send email/);
});

test("watch --type completed prints only that type and counts only what it prints", async () => {
  const queue = kinetik({ interval: 10 });
  queue.define("send email").action((job) => job.progress(1, 1));
  let out = "";
  const watching = deferred();
  const run = runCli(["watch", "--type", "completed", "--count", "1"], {
    queue,
    isTTY: false,
    signal: AbortSignal.timeout(10_000), // ends watch if the event never comes
    stdout: (text) => out += text,
    stderr: (text) => text.startsWith("Watching") && watching.resolve(),
  });
  await within(watching.promise, 10_000, "watch to start");
  await queue.create("send email");
  queue.process("default");
  assert.equal(await run, 0);
  await queue.close();
  assert.match(out, /^\d\d:\d\d:\d\d {2}completed {2}#1 send email {2}in \d+ms\n$/);
});
