/**
 * A dashboard as users run it, for the browser tests: `kinetik serve` in a process of its
 * own on a SQLite file, a worker in another (`fixtures/dashboard_worker.ts`), and a producer
 * queue in the test's process on the same file. Every wait on another process is bounded.
 * @module
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { kinetik } from "../mod.ts";
import type { Queue } from "../src/queue.ts";
import { SqliteStore } from "../stores/sqlite.ts";
import { type Running, spawnChild } from "./_cli_process.ts";

const ROOT = new URL("..", import.meta.url).pathname;
const isBun = typeof (globalThis as { Bun?: unknown }).Bun !== "undefined";

/** A script of this repository run by this runtime, as a child process. */
function runScript(script: string, args: string[]): Running {
  return spawnChild(process.execPath, [...isBun ? [] : ["run", "-A"], join(ROOT, script), ...args]);
}

/** Options of {@linkcode startDashboard}. */
export interface DashboardOptions {
  /** `kinetik serve --token`. */
  token?: string;
  /** `kinetik serve --read-only`. */
  readOnly?: boolean;
  /** Start the worker now (default) or later with `startWorker()`. */
  worker?: boolean;
}

/** A served dashboard and what runs beside it. */
export interface TestDashboard {
  /** The dashboard's URL, e.g. `http://127.0.0.1:40123/`. */
  url: string;
  /** A queue on the same store, for the test to create jobs and read them back. */
  queue: Queue;
  /** Starts the worker (when not started yet). */
  startWorker(): Promise<void>;
  /** Lets a `steps` job finish. */
  release(id: string): void;
  /** Stops `kinetik serve` and starts it again on the same port. */
  restartServer(): Promise<void>;
  /** Stops everything and removes the store. */
  close(): Promise<void>;
}

async function stop(child: Running | undefined): Promise<void> {
  if (!child || child.child.exitCode !== null || child.child.signalCode !== null) return;
  child.child.kill("SIGTERM");
  const timer = setTimeout(() => child.child.kill("SIGKILL"), 10_000);
  await child.exited.catch(() => {});
  clearTimeout(timer);
}

/** Starts `kinetik serve` and a worker on a fresh SQLite file. */
export async function startDashboard(options: DashboardOptions = {}): Promise<TestDashboard> {
  const dir = mkdtempSync(join(tmpdir(), "kinetik-dashboard-"));
  const store = `sqlite:${join(dir, "kinetik.db")}`;
  const queue = kinetik(new SqliteStore({ path: join(dir, "kinetik.db") }));
  let port = 0;
  let server: Running | undefined;
  let worker: Running | undefined;

  const startServer = async () => {
    const args = ["--store", store, "serve", "--port", String(port)];
    if (options.token !== undefined) args.push("--token", options.token);
    if (options.readOnly) args.push("--read-only");
    server = runScript("cli.ts", args);
    await server.printed("Serving the Kinetik", 30_000);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(server.output())?.[1];
    if (url === undefined) throw new Error(`kinetik serve printed no URL: ${server.output()}`);
    port = Number(new URL(url).port);
    return url;
  };
  const startWorker = async () => {
    if (worker) return;
    worker = runScript("tests/fixtures/dashboard_worker.ts", [store, dir]);
    await worker.printed("worker ready", 30_000);
  };

  try {
    const url = await startServer();
    if (options.worker !== false) await startWorker();
    return {
      url,
      queue,
      startWorker,
      release: (id) => writeFileSync(join(dir, `release-${id}`), ""),
      async restartServer() {
        await stop(server);
        await startServer();
      },
      async close() {
        await Promise.all([stop(server), stop(worker)]);
        await queue.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await Promise.all([stop(server), stop(worker)]);
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}
