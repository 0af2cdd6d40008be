/**
 * A throwaway three-node Redis Cluster (no replicas) for the cluster test, built with
 * `redis-cli --cluster create`. Resolves to the reason to skip when `redis-server` or
 * `redis-cli` is missing. @module
 */

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, hasRedisServer, type Running, spawnRedis } from "./_redis_server.ts";

/** A running cluster. */
export interface RedisCluster {
  /** The nodes, as ioredis's `Cluster` takes them. */
  nodes: { host: string; port: number }[];
  /** Stops every node and removes the temp dir. */
  dispose(): Promise<void>;
}

/** Runs a command to its end; it is killed (and this rejects) after 10 s. */
function run(command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    let output = "";
    child.stdout!.on("data", (chunk: Buffer) => output += chunk);
    child.stderr!.on("data", (chunk: Buffer) => output += chunk);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new Error(`${command} ${args.join(" ")} failed (${code}):\n${output}`));
    });
  });
}

/** Starts three cluster nodes and joins them; or the reason the cluster test is skipped. */
export async function redisCluster(): Promise<RedisCluster | string> {
  if (!hasRedisServer() || spawnSync("redis-cli", ["--version"]).error) {
    return "redis-server and redis-cli are needed on PATH for a local cluster";
  }
  const dir = mkdtempSync(join(tmpdir(), "kinetik-cluster-"));
  const ports = [await freePort(), await freePort(), await freePort()];
  const nodes: Running[] = [];
  const dispose = async () => {
    for (const node of nodes) node.child.kill("SIGTERM");
    rmSync(dir, { recursive: true, force: true }); // first: the hook may not be awaited
    const timer = setTimeout(() => nodes.forEach((node) => node.child.kill("SIGKILL")), 10_000);
    await Promise.all(nodes.map((node) => node.exited));
    clearTimeout(timer);
    for (const node of nodes) {
      node.child.stdout?.destroy();
      node.child.stderr?.destroy();
    }
  };
  try {
    for (const port of ports) {
      nodes.push(
        await spawnRedis(dir, [
          "--port",
          String(port),
          "--appendonly",
          "no",
          "--cluster-enabled",
          "yes",
          "--cluster-config-file",
          `nodes-${port}.conf`,
        ]),
      );
    }
    const addresses = ports.map((port) => `127.0.0.1:${port}`);
    await run("redis-cli", ["--cluster", "create", ...addresses, "--cluster-yes"]);
    for (let i = 0; i < 100; i++) {
      const states = await Promise.all(
        ports.map((port) => run("redis-cli", ["-p", String(port), "cluster", "info"])),
      );
      if (states.every((state) => state.includes("cluster_state:ok"))) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return { nodes: ports.map((port) => ({ host: "127.0.0.1", port })), dispose };
}
