/**
 * Pieces shared by the PostgreSQL tests that run fixture workers in other processes: a fresh
 * database per test on the test file's private server, and a fixture started with the
 * current runtime (Deno or Bun). @module
 */

import { fileURLToPath } from "node:url";
import process from "node:process";
import postgres from "postgres";
import { type Running, spawnChild } from "./_cli_process.ts";

const config = fileURLToPath(new URL("../deno.json", import.meta.url));
let databases = 0;

/**
 * Creates an empty database on the server of `url` (a `…/postgres` URL) and returns its URL;
 * every test gets its own, so the fixtures' default schema `kinetik` never meets another's.
 */
export async function freshDatabase(url: string, prefix: string): Promise<string> {
  const name = `${prefix}_${++databases}_${process.pid}`;
  const admin = postgres(url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return url.replace(/\/postgres$/, `/${name}`);
}

/** Starts `tests/fixtures/<name>` with `args` on the runtime running the tests. */
export function startFixture(name: string, args: readonly string[]): Running {
  const file = fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
  const argv = "Deno" in globalThis
    ? ["run", "-A", `--config=${config}`, file, ...args]
    : [file, ...args];
  return spawnChild(process.execPath, argv);
}

/** Stops a fixture: SIGTERM (a graceful close), or SIGKILL when `kill` is set; waits for it. */
export async function stopFixture(running: Running, kill = false): Promise<void> {
  if (running.child.exitCode === null && running.child.signalCode === null) {
    running.child.kill(kill ? "SIGKILL" : "SIGTERM");
  }
  await running.exited;
}
