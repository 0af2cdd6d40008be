/**
 * Spawns one `bench/peers/case.mjs` process for a system on a runtime and reads its result
 * line, for the SQLite comparison (`bench/peers/sqlite.ts`). @module
 */

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";

const path = (p: string) => fileURLToPath(new URL(p, import.meta.url));
/** bench/peers/, where the peers' node_modules and case.mjs live. */
export const PEERS: string = path("./");
/** The project root, where Kinetik resolves its imports. */
export const ROOT: string = path("../../");

/** A system on a runtime. */
export interface Entrant {
  /** The queue library: `kinetik`, `plainjob`, … (a key of case.mjs's adapters). */
  system: string;
  /** `deno`, `bun` or `node`. */
  runtime: string;
}

function command(runtime: string): string[] {
  if (runtime === "deno") return [Deno.execPath(), "run", "-A"];
  if (runtime === "bun") return ["bun"];
  if (runtime === "node") return ["node"];
  throw new TypeError(
    `Cannot run the benchmark as the runtime is unknown: current value is ${runtime}`,
  );
}

/** Options of {@linkcode runCase}. */
export interface RunCaseOptions {
  /** Called when the case prints `{"ready":true}` (a latency worker that is consuming). */
  onReady?: () => void;
  /** A command the case runs under, such as `strace …`. */
  wrapper?: string[];
}

/** Runs one case process; resolves to its result line. */
export function runCase(
  who: Entrant,
  args: string[],
  options: RunCaseOptions = {},
): Promise<Record<string, unknown>> {
  const [cmd, ...pre] = [...(options.wrapper ?? []), ...command(who.runtime)];
  // Kinetik resolves its imports through the project (deno.json, package.json), the peers
  // through bench/peers/node_modules; Deno would take bench/peers/package.json, the nearest to
  // case.mjs, so `--config` gives it the project's import map instead.
  const isKinetik = who.system.startsWith("kinetik"); // kinetik, kinetik-postgres, …
  const config = isKinetik && who.runtime === "deno" ? ["--config", `${ROOT}deno.json`] : [];
  const child = spawn(
    cmd,
    [...pre, ...config, `${PEERS}case.mjs`, "--system", who.system, ...args],
    {
      cwd: isKinetik ? ROOT : PEERS,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  let result: Record<string, unknown> | undefined;
  let buffer = "";
  child.stdout!.on("data", (chunk: Uint8Array) => {
    buffer += new TextDecoder().decode(chunk);
    for (let i = buffer.indexOf("\n"); i >= 0; i = buffer.indexOf("\n")) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        const value = JSON.parse(line);
        if (value.ready) options.onReady?.();
        else result = value;
      } catch {
        process.stderr.write(`${line}\n`);
      }
    }
  });
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on(
      "exit",
      (code) =>
        code === 0 && result ? resolve(result) : reject(
          new Error(
            `${who.system}@${who.runtime} ${args.join(" ")} exited with ${code}`,
          ),
        ),
    );
  });
}

/** Installs the peers into bench/peers/node_modules (`npm ci`) when they are missing. */
export async function installPeers(): Promise<void> {
  if (existsSync(`${PEERS}node_modules`)) return;
  console.error("Installing the peers into bench/peers/node_modules (npm ci)…");
  const npm = spawn("npm", ["ci", "--no-audit", "--no-fund"], {
    cwd: PEERS,
    stdio: "inherit",
  });
  const code = await new Promise((resolve) => npm.on("exit", resolve));
  if (code !== 0) throw new Error(`npm ci failed with ${code}`);
}
