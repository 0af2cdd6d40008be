/**
 * The private PostgreSQL of a peer benchmark run: a server of its own (`initdb` into a temp
 * dir, durable settings: fsync and synchronous commit on, as in production), a fresh database
 * per case, and the server's counters read around each case. @module
 */

import { readdirSync, readFileSync } from "node:fs";
import postgres from "postgres";
import { type PostgresServer, postgresServer } from "../../tests/_postgres_server.ts";

/** Server-side counters of one database at one moment. */
export interface PgCounters {
  /** CPU seconds of every server process, user + system (exited backends included). */
  cpu: number;
  /** Statements the clients ran in the database (pg_stat_statements, top level only). */
  statements: number;
  /** Transactions committed or rolled back in the database (pg_stat_database). */
  transactions: number;
}

/** The clock ticks per second of `/proc/<pid>/stat` (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** User + system CPU ticks of a process, and of its reaped children when `children` is set. */
function ticks(pid: number, children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces, in parentheses).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const own = Number(fields[11]) + Number(fields[12]); // utime, stime
    return children ? own + Number(fields[13]) + Number(fields[14]) : own; // + cutime, cstime
  } catch {
    return 0; // Exited in between: its time is in the postmaster's children's now.
  }
}

/** The pids of the live children of `parent`. */
function childrenOf(parent: number): number[] {
  const pids: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (ppid === parent) pids.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids;
}

/** A running private PostgreSQL and an admin connection to it. */
export class BenchPostgres {
  readonly version: string;
  #server: PostgresServer;
  #admin: postgres.Sql;
  #postmaster: number;
  #databases = 0;

  private constructor(server: PostgresServer, admin: postgres.Sql, version: string) {
    this.#server = server;
    this.#admin = admin;
    this.version = version;
    this.#postmaster = Number(
      readFileSync(`${server.dataDir}/postmaster.pid`, "utf8").split("\n")[0],
    );
  }

  /** Starts the server with durable settings and pg_stat_statements. */
  static async start(): Promise<BenchPostgres> {
    const server = await postgresServer({
      durable: true,
      settings: ["shared_preload_libraries=pg_stat_statements", "pg_stat_statements.max=10000"],
    });
    if (typeof server === "string") throw new Error(`No PostgreSQL for the benchmark: ${server}`);
    const admin = postgres(server.url, { max: 1, onnotice: () => {} });
    await admin`CREATE EXTENSION IF NOT EXISTS pg_stat_statements`;
    const [{ server_version }] = await admin`SHOW server_version`;
    return new BenchPostgres(server, admin, String(server_version).split(" ")[0]);
  }

  /** Creates an empty database for one case; resolves to its name and URL. */
  async freshDatabase(): Promise<{ name: string; url: string }> {
    const name = `bench_${++this.#databases}`;
    await this.#admin.unsafe(`CREATE DATABASE ${name}`);
    return { name, url: this.#server.url.replace(/\/postgres$/, `/${name}`) };
  }

  /** Drops a case's database once its clients are gone. */
  async drop(name: string): Promise<void> {
    await this.#admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  /**
   * The counters of database `name`, once no client is connected to it any more (so every
   * backend of the case has exited and its CPU time and statistics are in).
   */
  async counters(name: string): Promise<PgCounters> {
    for (let waited = 0; waited < 10_000; waited += 20) {
      const [{ n }] = await this.#admin`
        SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${name}`;
      if (n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const [{ statements }] = await this.#admin`
      SELECT coalesce(sum(s.calls), 0)::bigint AS statements FROM pg_stat_statements s
      JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = ${name}`;
    const [{ transactions }] = await this.#admin`
      SELECT (xact_commit + xact_rollback)::bigint AS transactions FROM pg_stat_database
      WHERE datname = ${name}`;
    const cpu = ticks(this.#postmaster, true) +
      childrenOf(this.#postmaster).reduce((sum, pid) => sum + ticks(pid), 0);
    return { cpu: cpu / TICKS, statements: Number(statements), transactions: Number(transactions) };
  }

  /** Stops the server and removes its temp dir. */
  async stop(): Promise<void> {
    await this.#admin.end({ timeout: 5 });
    await this.#server.dispose();
  }
}
