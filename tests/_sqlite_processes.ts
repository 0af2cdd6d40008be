/**
 * Child processes on a shared SQLite file, for the multi-process tests of the SQLite store:
 * a fixture runner with its stdout in lines, bounded waits, fresh files. @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { SqliteStore } from "../stores/sqlite.ts";
import { waitFor, withTimeout } from "./_helpers.ts";

const isBun = "bun" in process.versions;
/** Child processes on a busy host outlast Bun's default 5 s per test; the waits inside are bounded. */
export const SLOW = { timeout: 30_000 };
const config = fileURLToPath(new URL("../deno.json", import.meta.url));

/** A child process running a fixture with the current runtime, its stdout split in lines. */
export class Child {
  readonly process: ChildProcess;
  readonly exited: Promise<number | string | null>;
  #lines: string[] = [];
  #stderr = "";
  #waiters = new Set<() => void>();

  constructor(fixture: string, args: string[]) {
    const file = fileURLToPath(new URL(`./fixtures/${fixture}`, import.meta.url));
    const argv = isBun ? [file, ...args] : ["run", "-A", `--config=${config}`, file, ...args];
    this.process = spawn(process.execPath, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let partial = "";
    this.process.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
      const parts = (partial + chunk).split("\n");
      partial = parts.pop()!;
      this.#lines.push(...parts);
      for (const wake of this.#waiters) wake();
    });
    this.process.stderr!.setEncoding("utf8").on("data", (chunk: string) => this.#stderr += chunk);
    this.exited = new Promise((resolve) =>
      this.process.on("close", (code, signal) => {
        for (const wake of this.#waiters) wake();
        resolve(code ?? signal);
      })
    );
  }

  get isRunning(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The stdout lines printed so far. */
  get lines(): readonly string[] {
    return this.#lines;
  }

  /**
   * The first stdout line matching `pattern` (from line `from` on), waiting up to `ms` (0: it
   * must be there).
   */
  async line(pattern: RegExp, ms = 10_000, from = 0): Promise<string> {
    let check = () => {};
    const found = new Promise<string>((resolve, reject) => {
      check = () => {
        const line = this.#lines.slice(from).find((line) => pattern.test(line));
        if (line !== undefined) resolve(line);
        else if (!this.isRunning) reject(new Error("the process ended"));
      };
    });
    this.#waiters.add(check);
    check();
    try {
      return await withTimeout(found, ms, `a line matching ${pattern}`);
    } catch (error) {
      throw new Error(`${(error as Error).message}; stderr: ${this.#stderr.slice(-2000)}`);
    } finally {
      this.#waiters.delete(check);
    }
  }

  /** Sends `signal` (when still running) and waits (up to 10 s) for the exit. */
  async stop(signal: NodeJS.Signals): Promise<number | string | null> {
    if (this.isRunning) this.process.kill(signal);
    return await withTimeout(this.exited, 10_000, `the child to exit on ${signal}`);
  }
}

/** Polls the database every 25 ms (the workers write to it meanwhile) until `predicate` holds. */
export function until(predicate: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  return waitFor(predicate, ms, what, 25);
}

/** The job ids a fixture appended to `file`, one a line. */
export function readIds(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/**
 * Opens a database in a fresh directory (creating the schema once), runs `fn`, then stops
 * every child and removes the directory. `file(name)` is a path beside the database. (A
 * directory per call, not per test file: Bun runs every test file in one process, where a
 * helper module's `after` hook would fire after the first file that imported it.)
 */
export async function withDatabase(
  fn: (
    path: string,
    store: SqliteStore,
    spawned: Child[],
    file: (name: string) => string,
  ) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "kinetik-processes-"));
  const file = (name: string) => join(dir, name);
  const path = file("jobs.db");
  const store = new SqliteStore({ path });
  const spawned: Child[] = [];
  try {
    await fn(path, store, spawned, file);
  } finally {
    await Promise.all(spawned.map((child) => child.stop("SIGKILL")));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
