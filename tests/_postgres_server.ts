/**
 * A real, private PostgreSQL server for the PostgreSQL tests: `initdb` into a temp dir,
 * `pg_ctl start` on a free port (loopback only, fsync off: the tests need speed, not
 * durability across power loss), stopped and removed when the test file ends, even when its
 * tests fail or the runner skips its hooks (a watchdog stops it once the test process is gone). Spawned through `node:child_process`, so Deno and Bun run the same tests.
 *
 * PostgreSQL refuses to run as root, so under root every command runs as the `postgres` user
 * through `runuser`, in a temp dir that user owns. When no server can be started,
 * {@linkcode postgresServer} resolves to the reason, which callers hand to `unavailable()`
 * (tests/_unavailable.ts): a skip outside CI, a failure in CI. @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Where Debian's `postgresql` packages put the server binaries: the newest version there. */
const BIN = newestBin("/usr/lib/postgresql");
/** Every wait on a server command ends after this long. */
const COMMAND_TIMEOUT = 60_000;

/** A PostgreSQL server the tests own. */
export interface PostgresServer {
  /** `postgres://postgres@127.0.0.1:<port>/postgres` (trust authentication, loopback only). */
  url: string;
  port: number;
  /** The data directory (its `postmaster.pid` names the server's process). */
  dataDir: string;
  /** Stops the server (immediate shutdown) and removes its temp dir; safe to call twice. */
  dispose(): Promise<void>;
}

function newestBin(root: string): string {
  const versions = existsSync(root)
    ? readdirSync(root).filter((name) => existsSync(join(root, name, "bin", "initdb")))
    : [];
  versions.sort((a, b) => Number(b) - Number(a));
  return join(root, versions[0] ?? "15", "bin");
}

/** A free TCP port on 127.0.0.1. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function isRoot(): boolean {
  return typeof process.getuid === "function" && process.getuid() === 0;
}

/** The command line that runs a server binary as a user PostgreSQL accepts. */
function asPostgres(binary: string, args: string[]): [string, string[]] {
  const path = join(BIN, binary);
  return isRoot() ? ["runuser", ["-u", "postgres", "--", path, ...args]] : [path, args];
}

/** Runs a server command to its end (at most `COMMAND_TIMEOUT`); rejects on failure. */
function run(binary: string, args: string[]): Promise<string> {
  const [command, argv] = asPostgres(binary, args);
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => output += chunk);
    child.stderr!.on("data", (chunk: Buffer) => output += chunk);
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`${binary} did not finish within ${COMMAND_TIMEOUT} ms:\n${output}`));
    }, COMMAND_TIMEOUT);
    child.once("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once("close", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${binary} ${args[0] ?? ""} exited with ${code}:\n${output}`));
    });
  });
}

/** Why no server can be started here, or `undefined` when one can. */
function missing(): string | undefined {
  if (!existsSync(join(BIN, "initdb"))) return `PostgreSQL is not installed (no ${BIN}/initdb)`;
  if (isRoot() && spawnSync("id", ["-u", "postgres"]).status !== 0) {
    return "running as root but there is no postgres user to run the server as";
  }
  return undefined;
}

/** Options of {@linkcode postgresServer}. */
export interface PostgresServerOptions {
  /**
   * Keep PostgreSQL's durable defaults (fsync, synchronous commit, full page writes), as a
   * benchmark must; the tests turn them off for speed.
   */
  durable?: boolean;
  /** More `-c name=value` settings, e.g. `shared_preload_libraries=pg_stat_statements`. */
  settings?: string[];
}

/** Creates the data dir and starts the server on `port`; rejects when it does not come up. */
async function start(dir: string, port: number, options: PostgresServerOptions): Promise<void> {
  const data = join(dir, "data");
  const fast = ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"];
  const flags = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses=127.0.0.1",
    ...(options.durable ? [] : fast),
    "-c max_connections=300",
    ...(options.settings ?? []).map((setting) => `-c ${setting}`),
  ].join(" ");
  await run("pg_ctl", [
    "-D",
    data,
    "-l",
    join(dir, "server.log"),
    "-w",
    "-t",
    "30",
    "-o",
    flags,
    "start",
  ]);
}

/** Stops the server synchronously (for process exit, where nothing async runs any more). */
function stopNow(dir: string): void {
  const [command, argv] = asPostgres("pg_ctl", [
    "-D",
    join(dir, "data"),
    "-m",
    "immediate",
    "-w",
    "-t",
    "30",
    "stop",
  ]);
  spawnSync(command, argv, { stdio: "ignore", timeout: COMMAND_TIMEOUT });
  rmSync(dir, { recursive: true, force: true });
}

/**
 * A detached shell that stops the server and removes its dir once process `pid` is gone. The
 * test runner may end without running `after` hooks or exit handlers (Deno skips them in a run
 * narrowed with `--filter`), or be killed; a server must never outlive its tests.
 */
function watchdog(dir: string, pid: number): ChildProcess {
  const [command, argv] = asPostgres("pg_ctl", [
    "-D",
    join(dir, "data"),
    "-m",
    "immediate",
    "-w",
    "-t",
    "30",
    "stop",
  ]);
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const stop = [command, ...argv].map(quote).join(" ");
  const script = `while kill -0 ${pid} 2>/dev/null; do sleep 1; done; ${stop} >/dev/null 2>&1; ` +
    `rm -rf ${quote(dir)}`;
  const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" });
  child.unref();
  return child;
}

/**
 * Starts a private PostgreSQL server for one test file (or one benchmark run).
 *
 * @returns the server, or the reason none can be started
 */
export async function postgresServer(
  options: PostgresServerOptions = {},
): Promise<PostgresServer | string> {
  const reason = missing();
  if (reason) return reason;
  const dir = mkdtempSync(join(tmpdir(), "kinetik-pg-"));
  let stopped = false;
  const onExit = () => {
    if (!stopped) stopNow(dir);
  };
  try {
    if (isRoot()) {
      const uid = Number(spawnSync("id", ["-u", "postgres"]).stdout.toString().trim());
      const gid = Number(spawnSync("id", ["-g", "postgres"]).stdout.toString().trim());
      chownSync(dir, uid, gid);
    }
    chmodSync(dir, 0o700);
    await run("initdb", [
      "-D",
      join(dir, "data"),
      "-A",
      "trust",
      "-U",
      "postgres",
      "-E",
      "UTF8",
      "--locale=C",
      "--no-sync",
    ]);
    // A free port can be taken between the probe and the start: try a few.
    let port = 0;
    for (let attempt = 1;; attempt++) {
      port = await freePort();
      try {
        await start(dir, port, options);
        break;
      } catch (error) {
        if (attempt === 3) throw error;
      }
    }
    process.once("exit", onExit);
    const guard = watchdog(dir, process.pid);
    return {
      url: `postgres://postgres@127.0.0.1:${port}/postgres`,
      port,
      dataDir: join(dir, "data"),
      async dispose() {
        if (stopped) return;
        stopped = true;
        process.off("exit", onExit);
        try {
          await run("pg_ctl", [
            "-D",
            join(dir, "data"),
            "-m",
            "immediate",
            "-w",
            "-t",
            "30",
            "stop",
          ]);
        } finally {
          rmSync(dir, { recursive: true, force: true });
          guard.kill();
        }
      },
    };
  } catch (error) {
    const log = join(dir, "server.log");
    const tail = existsSync(log) ? readFileSync(log, "utf8").slice(-2000) : "";
    stopped = true;
    stopNow(dir);
    return `the test server did not start: ${(error as Error).message}\n${tail}`;
  }
}
