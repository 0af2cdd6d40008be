/**
 * A MongoDB for the MongoDB store's tests: `KINETIK_MONGO_URL` when it is set, else a private
 * mongo-wire emulator (`shared/mongo-wire/start.sh` beside or above the project, or the
 * directory `MONGO_WIRE` names), started once per test file. The emulator is not MongoDB:
 * a green run shows the store's logic is right, not that a real server agrees.
 *
 * When neither is available, `mongoServer()` resolves to the reason, which callers hand to
 * `unavailable()` (tests/_unavailable.ts): a skip outside CI, a failure in CI. @module
 */

import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

/** A MongoDB the tests may use. */
export interface MongoServer {
  /** `mongodb://127.0.0.1:<port>` */
  url: string;
  /** `"emulator"` for the mongo-wire emulator this helper started, else `"external"`. */
  kind: "emulator" | "external";
  /** Stops an emulator this helper started and removes its files (no-op otherwise). */
  dispose(): Promise<void>;
}

/** start.sh installs the emulator's two npm packages first: allow for a slow registry. */
const START_TIMEOUT_MS = 120_000;

/** The emulator's start script: `$MONGO_WIRE/start.sh`, else the nearest `shared/mongo-wire`. */
function findStartScript(): string | undefined {
  const named = process.env.MONGO_WIRE;
  if (named) return join(named, "start.sh");
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
  for (let dir = dirname(root);; dir = dirname(dir)) {
    const script = join(dir, "shared", "mongo-wire", "start.sh");
    if (existsSync(script)) return script;
    if (dirname(dir) === dir) return undefined;
  }
}

/** Runs start.sh and reads the `export KINETIK_MONGO_URL=… MONGO_WIRE_PID=…` line it prints. */
function start(script: string, temp: string): Promise<{ url: string; pid: number }> {
  return new Promise((resolve, reject) => {
    // TMPDIR puts the emulator's copy and its node_modules in `temp`, removed by dispose().
    const env = { ...process.env, TMPDIR: temp };
    execFile("bash", [script], { env, timeout: START_TIMEOUT_MS }, (error, stdout, stderr) => {
      const url = /KINETIK_MONGO_URL=(\S+)/.exec(stdout)?.[1];
      const pid = Number(/MONGO_WIRE_PID=(\d+)/.exec(stdout)?.[1]);
      if (error || !url || !pid) {
        reject(new Error(`${script} failed: ${(stderr || error?.message || stdout).trim()}`));
      } else resolve({ url, pid });
    });
  });
}

/** `KINETIK_MONGO_URL`, else a fresh emulator, else the reason the tests are skipped. */
export async function mongoServer(): Promise<MongoServer | string> {
  const external = process.env.KINETIK_MONGO_URL;
  if (external) return { url: external, kind: "external", dispose: () => Promise.resolve() };
  const script = findStartScript();
  if (!script) {
    return "KINETIK_MONGO_URL is not set and no shared/mongo-wire emulator was found (set MONGO_WIRE)";
  }
  const temp = mkdtempSync(join(tmpdir(), "kinetik-mongo-"));
  let started: { url: string; pid: number };
  try {
    started = await start(script, temp);
  } catch (error) {
    rmSync(temp, { recursive: true, force: true });
    return `the mongo-wire emulator did not start (${(error as Error).message})`;
  }
  let isRunning = true;
  const stop = () => {
    if (!isRunning) return;
    isRunning = false;
    process.off("exit", stop);
    globalThis.removeEventListener?.("unload", stop);
    try {
      process.kill(started.pid, "SIGTERM");
    } catch {
      // Already gone.
    }
    rmSync(temp, { recursive: true, force: true });
  };
  // The emulator is no child of this process (start.sh leaves it running in the background),
  // so it is stopped when the process ends too: `deno test` skips a file's after() hooks when
  // --filter leaves out some of its tests, and fires "unload" but not process "exit".
  process.on("exit", stop);
  globalThis.addEventListener?.("unload", stop);
  return {
    url: started.url,
    kind: "emulator",
    dispose() {
      stop();
      return Promise.resolve();
    },
  };
}
