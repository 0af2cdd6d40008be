/**
 * The README's "HTTP API" section, as written: its curl session runs against `kinetik serve`
 * in a fresh directory (only the port differs, and the cursor the previous answer gave), each
 * answer compared with the README's by shape (times, ids of this run and cursors aside); the
 * event stream example runs while a job is created; the Hono mount serves under its prefix.
 */

import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { promisify } from "node:util";
import { after, test } from "node:test";
import { Hono } from "hono";
import { kinetik } from "../mod.ts";
import { httpHandler } from "../http/mod.ts";
import { spawnChild } from "./_cli_process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const SECTION = README.slice(README.indexOf("\n## HTTP API\n"), README.indexOf("\n## Dashboard\n"));
const dir = mkdtempSync(join(tmpdir(), "kinetik-readme-http-"));
after(() => rmSync(dir, { recursive: true, force: true }));
const hasCurl = await promisify(execFile)("curl", ["--version"]).then(() => true, () => false);
const skip = hasCurl ? undefined : "curl is not installed";

/** The sh blocks of the section, each as `$` commands with the lines printed after them. */
function sessions(): { command: string; output: string[] }[][] {
  return [...SECTION.matchAll(/```sh\n([^]*?)```/g)].map(([, body]) => {
    const steps: { command: string; output: string[] }[] = [];
    for (const line of body.split("\n")) {
      if (line.startsWith("$ ")) steps.push({ command: line.slice(2), output: [] });
      else if (steps.length > 0 && line !== "") steps.at(-1)!.output.push(line);
    }
    return steps;
  });
}

/** An answer with what varies between runs made the same: times and cursors. */
function shape(text: string): string {
  return text.replace(/\b\d{13}\b/g, "<time>").replace(
    /"next":"[A-Za-z0-9_-]+"/g,
    '"next":"<cursor>"',
  );
}

/** `kinetik serve --token s3cret` in the test directory, on a free port. */
async function serveKinetik() {
  const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";
  const child = spawnChild(process.execPath, [
    ...isBun ? [] : ["run", "-A"],
    join(ROOT, "cli.ts"),
    "serve",
    "--token",
    "s3cret",
    "--port",
    "0",
  ], { cwd: dir });
  await child.printed("Serving the Kinetik API at ");
  const url = /at http:\/\/(\S+)\//.exec(child.output())![1];
  return { child, host: url };
}

test(
  "README's curl session runs as written against kinetik serve",
  { skip, timeout: 60_000 },
  async () => {
    const [session] = sessions();
    assert.ok(session.length >= 6, "the section has a curl session");
    const { child, host } = await serveKinetik();
    try {
      let readmeCursor: string | undefined;
      let cursor: string | undefined;
      for (const step of session) {
        assert.match(step.command, /^curl /);
        let command = step.command.replaceAll("127.0.0.1:8080", host);
        if (readmeCursor && cursor) command = command.replaceAll(readmeCursor, cursor);
        const { stdout } = await promisify(execFile)("sh", ["-c", command], { cwd: dir });
        assert.equal(shape(stdout), shape(step.output.join("\n")), step.command);
        readmeCursor = /"next":"([^"]+)"/.exec(step.output.join("\n"))?.[1] ?? readmeCursor;
        cursor = /"next":"([^"]+)"/.exec(stdout)?.[1] ?? cursor;
      }
    } finally {
      child.child.kill("SIGINT");
      await child.exited;
    }
  },
);

test(
  "README's event stream example streams a job created meanwhile",
  { skip, timeout: 60_000 },
  async () => {
    const [, [events]] = sessions();
    assert.match(events.command, /^curl -sN .*\/api\/events/);
    const { child, host } = await serveKinetik();
    const curl = spawn("sh", ["-c", events.command.replaceAll("127.0.0.1:8080", host)], {
      cwd: dir,
    });
    let text = "";
    const waiters: (() => void)[] = [];
    curl.stdout.on("data", (chunk) => {
      text += chunk;
      for (const check of waiters) check();
    });
    const printed = (wanted: string) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`curl did not print ${wanted}: ${text}`)),
          15_000,
        );
        const check = () => text.includes(wanted) && (clearTimeout(timer), resolve());
        waiters.push(check);
        check();
      });
    try {
      await printed(": connected");
      const created = await fetch(`http://${host}/api/jobs`, {
        method: "POST",
        headers: { authorization: "Bearer s3cret", "content-type": "application/json" },
        body: JSON.stringify({ task: "send email" }),
      });
      assert.equal(created.status, 201);
      await created.body?.cancel();
      await printed('"type":"created"');
      const lines = text.split("\n").filter((line) => line !== "");
      assert.deepEqual(
        lines.map((line) => shape(line).replace(/"id":"\d+"/, '"id":"<id>"')),
        events.output.map((line) => shape(line).replace(/"id":"\d+"/, '"id":"<id>"')),
      );
    } finally {
      curl.kill("SIGKILL");
      child.child.kill("SIGINT");
      await child.exited;
    }
  },
);

test("README's Hono mount serves the API under its prefix", async () => {
  assert.match(SECTION, /app\.mount\("\/kinetik", httpHandler\(queue, \{ token: "s3cret" \}\)\);/);
  const queue = kinetik();
  const app = new Hono();
  app.mount("/kinetik", httpHandler(queue, { token: "s3cret" }));
  try {
    const job = await queue.create("send email");
    const response = await app.fetch(
      new Request(`http://localhost/kinetik/api/jobs/${job.id}`, {
        headers: { authorization: "Bearer s3cret" },
      }),
    );
    assert.deepEqual(await response.json(), job);
  } finally {
    await queue.close();
  }
});
