/**
 * `kinetik schedules`, `unschedule`, `pause`, `resume`, and what `tasks` shows of limits and
 * pauses: in process on a memory queue (every change checked through the library), and as the
 * real binary (built with `bun build --compile`) on a SQLite file, next to a worker process.
 */

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { kinetik, MemoryStore, Queue } from "../mod.ts";
import { runCli } from "../src/cli/run_cli.ts";
import { openStore } from "../src/open_store.ts";
import { runBinary, spawnChild } from "./_cli_process.ts";
import { storeWithout, waitFor } from "./_helpers.ts";

/** Runs the command line on `queue`, capturing what it prints. */
async function run(queue: Queue, ...args: string[]) {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    queue,
    stdout: (text) => stdout += text,
    stderr: (text) => stderr += text,
  });
  return { code, stdout, stderr };
}

/** A worker's queue: three tasks, one rate-limited, one with a global concurrency limit. */
function workerQueue(queue = kinetik()): Queue {
  queue.define("send email").tag("messaging").rate(100, "1m").action(() => {});
  queue.define("send sms").tag("messaging").concurrency(3).action(() => {});
  queue.define("resize image").tag("media").action(() => {});
  return queue;
}

test("kinetik schedules lists schedules with their next fire time, as a table or JSON", async () => {
  const queue = workerQueue();
  try {
    assert.deepEqual(await run(queue, "schedules"), {
      code: 0,
      stdout: "No schedules.\n",
      stderr: "",
    });
    const nightly = await queue.schedule("nightly", {
      cron: "30 2 * * *",
      tz: "Europe/Berlin",
      task: "resize image",
      data: { size: "small" },
    });
    await queue.schedule("digest", { every: "15m", task: "send email", missed: "all" });
    const { code, stdout } = await run(queue, "schedules");
    assert.equal(code, 0);
    assert.match(stdout, /^ID +TASK +WHEN +TZ +NEXT +MISSED +DATA$/m);
    assert.match(
      stdout,
      /^digest +send email +every 15m +UTC +\d{4}-\d\d-\d\dT[\d:.]+Z +in \d+(m|s) +all +\{\}$/m,
    );
    assert.match(
      stdout,
      new RegExp(
        `^nightly +resize image +30 2 \\* \\* \\* +Europe/Berlin +${
          new Date(nightly.next).toISOString().replace(/\./g, "\\.")
        } +in \\d+h +latest +\\{"size":"small"\\}$`,
        "m",
      ),
    );
    const json = JSON.parse((await run(queue, "schedules", "--json")).stdout);
    assert.deepEqual(json.schedules, await queue.schedules());
  } finally {
    await queue.close();
  }
});

test("kinetik unschedule deletes a schedule, and fails for an unknown one", async () => {
  const queue = workerQueue();
  try {
    await queue.schedule("digest", { every: "15m", task: "send email" });
    assert.deepEqual(await run(queue, "unschedule", "digest"), {
      code: 0,
      stdout: "Removed schedule digest.\n",
      stderr: "",
    });
    assert.deepEqual(await queue.schedules(), []);
    assert.deepEqual(await run(queue, "unschedule", "digest"), {
      code: 1,
      stdout: "",
      stderr: "kinetik: no schedule with id digest\n",
    });
    const missing = await run(queue, "unschedule");
    assert.equal(missing.code, 2);
    assert.equal(
      missing.stderr,
      "kinetik: unschedule needs a schedule id: kinetik unschedule ID\n",
    );
    await queue.schedule("digest", { every: "15m", task: "send email" });
    const json = await run(queue, "unschedule", "digest", "--json");
    assert.deepEqual(JSON.parse(json.stdout), { id: "digest", removed: true });
  } finally {
    await queue.close();
  }
});

test("kinetik pause and resume change the stored paused set and say what is paused", async () => {
  const queue = workerQueue();
  try {
    const paused = await run(queue, "pause", "messaging", "--tasks", "resize image");
    assert.deepEqual(paused, {
      code: 0,
      stdout:
        "Paused tag messaging; task resize image. Paused now: tag messaging; task resize image.\n",
      stderr: "",
    });
    assert.deepEqual(await queue.paused(), { tags: ["messaging"], tasks: ["resize image"] });
    const json = JSON.parse((await run(queue, "pause", "media", "--json")).stdout);
    assert.deepEqual(json, {
      paused: { tags: ["media", "messaging"], tasks: ["resize image"] },
    });
    const resumed = await run(queue, "resume", "messaging");
    assert.equal(
      resumed.stdout,
      "Resumed tag messaging. Paused now: tag media; task resize image.\n",
    );
    assert.deepEqual(await queue.paused(), { tags: ["media"], tasks: ["resize image"] });
    const all = JSON.parse((await run(queue, "resume", "--all", "--json")).stdout);
    assert.deepEqual(all, {
      resumed: { tags: ["media"], tasks: ["resize image"] },
      paused: { tags: [], tasks: [] },
    });
    assert.deepEqual(await queue.paused(), { tags: [], tasks: [] });
  } finally {
    await queue.close();
  }
});

test("kinetik pause and resume refuse a missing target with a usage error and no change", async () => {
  const queue = workerQueue();
  try {
    await queue.pause("media");
    const cases: [string[], RegExp][] = [
      [["pause"], /^kinetik: pause needs a tag or --tasks: kinetik pause TAG… or /],
      [["resume"], /^kinetik: resume needs a tag or --tasks/],
      [["pause", "--tasks", " , "], /pause needs a tag or --tasks/],
      [["resume", "--all", "media"], /^kinetik: resume: --all takes no tags or --tasks\n$/],
      [["pause", "--tags", "x"], /pause: unknown option --tags .*see kinetik pause --help/],
    ];
    for (const [args, message] of cases) {
      const result = await run(queue, ...args);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
      assert.equal(result.stdout, "");
    }
    assert.deepEqual(await queue.paused(), { tags: ["media"], tasks: [] });
  } finally {
    await queue.close();
  }
});

test("kinetik tasks shows rate, concurrency and paused state", async () => {
  const queue = workerQueue();
  try {
    await queue.pause({ tags: ["media"], tasks: ["send sms"] });
    const { code, stdout } = await run(queue, "tasks");
    assert.equal(code, 0);
    assert.match(stdout, /^TASK +TAG +WORKERS +TIMEOUT +RETRY +RATE +CONCURRENCY +DESCRIPTION$/m);
    assert.match(stdout, /^resize image \(paused\) +media +0 +- +- +- +-$/m);
    assert.match(stdout, /^send email +messaging +0 +- +- +100\/1m +-$/m);
    assert.match(stdout, /^send sms \(paused\) +messaging +0 +- +- +- +3$/m);
    assert.match(
      stdout,
      /\nPaused: tag media; task send sms \(kinetik resume to start them again\)\.\n/,
    );
    const json = JSON.parse((await run(queue, "tasks", "--json")).stdout);
    assert.deepEqual(json.paused, { tags: ["media"], tasks: ["send sms"] });
    assert.deepEqual(
      json.tasks.map((
        t: { name: string; rate?: unknown; concurrency?: number; isPaused: boolean },
      ) => [
        t.name,
        t.rate,
        t.concurrency,
        t.isPaused,
      ]),
      [
        ["resize image", undefined, undefined, true],
        ["send email", { max: 100, per: 60_000 }, undefined, false],
        ["send sms", undefined, 3, true],
      ],
    );
  } finally {
    await queue.close();
  }
});

test("kinetik schedules, unschedule, pause and resume fail on a store without them, naming it", async () => {
  const queue = workerQueue(
    new Queue(storeWithout(new MemoryStore(), "pause", "resume", "paused", "schedules")),
  );
  try {
    for (
      const [args, message] of [
        [
          ["schedules"],
          "kinetik: Cannot list schedules as the memory store does not support schedules\n",
        ],
        [
          ["unschedule", "x"],
          "kinetik: Cannot unschedule as the memory store does not support schedules\n",
        ],
        [
          ["pause", "media"],
          "kinetik: Cannot pause as the memory store does not support pausing\n",
        ],
        [
          ["resume", "--all"],
          "kinetik: Cannot read paused as the memory store does not support pausing\n",
        ],
      ] as const
    ) {
      assert.deepEqual(await run(queue, ...args), { code: 1, stdout: "", stderr: message });
    }
    const tasks = await run(queue, "tasks", "--json");
    assert.equal(tasks.code, 0, "tasks still works, without paused state");
    assert.equal(JSON.parse(tasks.stdout).paused, undefined);
  } finally {
    await queue.close();
  }
});

// The binary, as a user runs it, on a SQLite file next to a worker process.

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "kinetik-cli-control-"));
const bin = join(dir, "kinetik");
after(() => rmSync(dir, { recursive: true, force: true }));

function build(): string | undefined {
  const built = spawnSync("bun", ["build", "--compile", "cli.ts", "--outfile", bin], {
    cwd: root,
    encoding: "utf8",
  });
  if (built.error) return `bun is not available to build the binary (${built.error.message})`;
  if (built.status !== 0) return `bun build failed:\n${built.stderr}`;
  return undefined;
}
const skip = build();
if (skip) console.log(`Skipping the kinetik binary tests: ${skip}`);
let files = 0;
const freshStore = () => `sqlite:${join(dir, `k${++files}.db`)}`;
const kinetikBin = (store: string, ...args: string[]) =>
  runBinary(bin, args, { env: { KINETIK_STORE: store } });

test("kinetik --help lists schedules, unschedule, pause and resume, each with its own help", {
  skip,
  timeout: 30_000,
}, async () => {
  const help = await kinetikBin(freshStore(), "--help");
  assert.equal(help.code, 0);
  for (const command of ["schedules", "unschedule ID", "pause \\[TAG…\\]", "resume \\[TAG…\\]"]) {
    assert.match(help.stdout, new RegExp(`^  ${command} `, "m"));
  }
  const pause = await kinetikBin(freshStore(), "pause", "--help");
  assert.equal(pause.code, 0);
  assert.match(pause.stdout, /^Usage: kinetik pause \[TAG…\] \[options\]$/m);
  assert.match(pause.stdout, /--tasks T1,T2/);
  assert.match(pause.stdout, / {2}2 {2}usage error/);
  const resume = await kinetikBin(freshStore(), "help", "resume");
  assert.match(resume.stdout, /--all +resume everything that is paused/);
  const schedules = await kinetikBin(freshStore(), "schedules", "--help");
  assert.match(schedules.stdout, /^kinetik schedules: List the stored schedules/);
  const usage = await kinetikBin(freshStore(), "pause");
  assert.deepEqual([usage.code, usage.stdout], [2, ""]);
  assert.match(usage.stderr, /^kinetik: pause needs a tag or --tasks/);
});

test("kinetik schedules, unschedule, pause, resume and tasks drive a worker on SQLite", {
  skip,
  timeout: 30_000,
}, async () => {
  const url = freshStore();
  const argv = "Deno" in globalThis ? ["run", "-A", "examples/worker.ts"] : ["examples/worker.ts"];
  const worker = spawnChild(process.execPath, argv, {
    cwd: root,
    env: { KINETIK_STORE: url, QUEUE: "media,messaging" },
  });
  try {
    await worker.printed("(Ctrl-C to stop)");
    const producer = new Queue(await openStore(url));
    try {
      await producer.schedule("digest", { every: "1h", task: "send email", data: { to: "a@b.c" } });
      const listed = JSON.parse((await kinetikBin(url, "schedules", "--json")).stdout);
      assert.deepEqual(listed.schedules.map((s: { id: string }) => s.id), ["digest"]);
      const paused = await kinetikBin(url, "pause", "messaging");
      assert.equal(paused.code, 0, paused.stderr);
      assert.deepEqual(await producer.paused(), { tags: ["messaging"], tasks: [] });
      const tasks = await kinetikBin(url, "tasks");
      assert.match(tasks.stdout, /^send email \(paused\) +messaging /m);
      const job = await producer.create("send email", { to: "a@b.c" });
      // The worker runs one job at a time: once a media job created later has completed, it
      // has claimed past the paused one.
      const media = await producer.create("resize image", { steps: 1 });
      await waitFor(async () => (await producer.get(media.id))?.status === "completed", 10_000);
      assert.equal((await producer.get(job.id))?.status, "queued");
      assert.equal((await kinetikBin(url, "resume", "messaging")).code, 0);
      await waitFor(async () => (await producer.get(job.id))?.status === "completed", 10_000);
      assert.equal((await kinetikBin(url, "unschedule", "digest")).code, 0);
      assert.deepEqual(await producer.schedules(), []);
    } finally {
      await producer.close();
    }
  } finally {
    worker.child.kill("SIGTERM");
    await worker.exited;
  }
});
