/**
 * The private Redis of a peer benchmark run: a `redis-server` on a free port in a temp dir
 * with no persistence, and its counters (commands, CPU) read around each case. @module
 */

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort, spawnRedis } from "../../tests/_redis_server.ts";

/** Redis-side counters at one moment. */
export interface Counters {
  /** Commands executed, those run inside Lua scripts included (INFO commandstats). */
  commands: number;
  /** redis-server CPU seconds, user + system. */
  cpu: number;
}

/** A running private Redis and an admin connection to it. */
export class BenchRedis {
  readonly url: string;
  readonly version: string;
  #admin: Redis;
  #dispose: () => Promise<void>;

  private constructor(
    url: string,
    version: string,
    admin: Redis,
    dispose: () => Promise<void>,
  ) {
    this.url = url;
    this.version = version;
    this.#admin = admin;
    this.#dispose = dispose;
  }

  /** Starts `redis-server` (no RDB, no AOF) on a free port. */
  static async start(): Promise<BenchRedis> {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "kinetik-bench-redis-"));
    const running = await spawnRedis(dir, [
      "--port",
      String(port),
      "--appendonly",
      "no",
    ]);
    const url = `redis://127.0.0.1:${port}`;
    const admin = new Redis(url);
    const info = await admin.info("server");
    const version = /redis_version:(\S+)/.exec(info)?.[1] ?? "?";
    return new BenchRedis(url, version, admin, async () => {
      await admin.quit();
      running.child.kill("SIGTERM");
      await running.exited;
      rmSync(dir, { recursive: true, force: true });
    });
  }

  /** Empties the database between cases. */
  async flush(): Promise<void> {
    await this.#admin.flushall();
  }

  /** Commands executed so far (INFO and CONFIG excluded) and the server's CPU time. */
  async counters(): Promise<Counters> {
    const stats = await this.#admin.info("commandstats");
    let commands = 0;
    for (
      const [, name, calls] of stats.matchAll(
        /cmdstat_([a-z|_-]+):calls=(\d+)/g,
      )
    ) {
      if (name !== "info" && !name.startsWith("config")) {
        commands += Number(calls);
      }
    }
    const cpu = await this.#admin.info("cpu");
    const seconds = (field: string) => Number(new RegExp(`${field}:([\\d.]+)`).exec(cpu)?.[1]);
    return {
      commands,
      cpu: seconds("used_cpu_user") + seconds("used_cpu_sys"),
    };
  }

  /**
   * Counts the commands clients send (not those run inside Lua) while `fn` runs, with
   * MONITOR: the round trips, when nothing is pipelined. MONITOR slows Redis down, so this
   * runs in its own unmeasured pass.
   */
  async countSent(fn: () => Promise<unknown>): Promise<number> {
    const monitor = await this.#admin.monitor();
    let sent = 0;
    monitor.on("monitor", (_time: string, args: string[], source: string) => {
      if (source !== "lua" && !/^(info|config|flushall)$/i.test(args[0])) {
        sent++;
      }
    });
    try {
      await fn();
    } finally {
      await new Promise((resolve) => setTimeout(resolve, 100));
      monitor.disconnect();
    }
    return sent;
  }

  /** Stops the server and removes its temp dir. */
  stop(): Promise<void> {
    return this.#dispose();
  }
}
