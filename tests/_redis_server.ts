/**
 * A real, private `redis-server` for the Redis tests: started on a free port in a temp
 * dir, stopped (and restarted on the same port), frozen and thawed on demand. Spawned through
 * `node:child_process` so Deno and Bun run the same tests.
 *
 * When `KINETIK_REDIS_URL` is set, tests use that server instead (restarts are then not
 * possible). When neither it nor `redis-server` is available, `redisServer()` resolves to
 * the reason to skip. @module
 */

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** A Redis server the tests may use. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`, or `rediss://…` for a TLS server */
  url: string;
  /** The PEM certificate authority that signed a TLS server's certificate. */
  ca?: string;
  /** Whether `stop()`/`start()` really stop and start it (false for `KINETIK_REDIS_URL`). */
  ownsServer: boolean;
  /** Starts it again on the same port, with the same data dir (after `stop()`). */
  start(): Promise<void>;
  /** Stops it (SIGTERM, so an append-only file is flushed). */
  stop(): Promise<void>;
  /**
   * Freezes it with SIGSTOP: its sockets stay open and the kernel still accepts connections
   * and bytes, but nothing is answered, as with a hung server or a route that drops packets.
   */
  freeze(): void;
  /** Lets a frozen server go on (SIGCONT); it then answers what it was sent meanwhile. */
  thaw(): void;
  /** Stops it for good and removes its temp dir. */
  dispose(): Promise<void>;
}

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A running `redis-server`. */
export interface Running {
  child: ChildProcess;
  /** Settles when the process has exited (Deno sets `signalCode` at `kill()`, so ask this). */
  exited: Promise<void>;
}

/** Starts `redis-server` and resolves once it accepts connections. */
function launch(port: number, dir: string, options: RedisServerOptions): Promise<Running> {
  const args: string[] = [];
  args.push("--appendonly", options.durable ? "yes" : "no");
  if (options.password !== undefined) args.push("--requirepass", options.password);
  if (options.tls) {
    args.push("--port", "0", "--tls-port", String(port), "--tls-auth-clients", "no");
    args.push(
      "--tls-cert-file",
      join(dir, "server.crt"),
      "--tls-key-file",
      join(dir, "server.key"),
    );
    args.push("--tls-ca-cert-file", join(dir, "ca.crt"));
  } else {
    args.push("--port", String(port));
  }
  return spawnRedis(dir, args);
}

/** Spawns `redis-server` with `args` (beside the defaults) and resolves once it is ready. */
export function spawnRedis(dir: string, extra: string[]): Promise<Running> {
  const args = ["--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no", ...extra];
  const child = spawn("redis-server", args, { stdio: ["ignore", "pipe", "pipe"] });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return new Promise((resolve, reject) => {
    let output = "";
    const timer = setTimeout(
      () => fail(new Error(`redis-server did not start:\n${output}`)),
      10_000,
    );
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(error);
    };
    child.once("error", fail);
    const early = (code: number | null) =>
      fail(new Error(`redis-server exited with ${code}:\n${output}`));
    child.once("exit", early);
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk;
      if (!output.includes("Ready to accept connections")) return;
      clearTimeout(timer);
      child.off("exit", early);
      child.off("error", fail);
      child.stdout!.removeAllListeners("data");
      child.stdout!.resume();
      resolve({ child, exited });
    });
    child.stderr!.on("data", (chunk: Buffer) => output += chunk);
  });
}

/**
 * Sends `name` to `child` by pid: Deno's `child.kill()` sends only the first signal it is
 * given (it counts the process as killed from then on), and these are not the last.
 */
function signal(child: ChildProcess, name: "SIGSTOP" | "SIGCONT"): void {
  if (child.pid !== undefined) process.kill(child.pid, name);
}

/** Whether `redis-server` is on PATH. */
export function hasRedisServer(): boolean {
  return !spawnSync("redis-server", ["--version"]).error;
}

/** Options of {@linkcode redisServer}. */
export interface RedisServerOptions {
  /**
   * Keep an append-only file, so jobs survive `stop()` and `start()` (SIGTERM flushes it).
   * @default {false}
   */
  durable?: boolean;
  /** Serve TLS only, with a certificate for 127.0.0.1 from a throwaway CA (needs `openssl`). */
  tls?: boolean;
  /** Require this password (`requirepass`); `url` then carries none. */
  password?: string;
}

/** Makes a CA and a server certificate for 127.0.0.1 in `dir`; false without openssl. */
function makeCertificates(dir: string): boolean {
  const openssl = (...args: string[]) =>
    spawnSync("openssl", args, { cwd: dir, stdio: "ignore" }).status === 0;
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  return openssl(
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-days",
    "1",
    "-subj",
    "/CN=kinetik-test-ca",
    "-keyout",
    "ca.key",
    "-out",
    "ca.crt",
  ) &&
    openssl(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-subj",
      "/CN=127.0.0.1",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
    ) &&
    openssl(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-days",
      "1",
      "-extfile",
      "san.ext",
      "-out",
      "server.crt",
    );
}

/**
 * A Redis for the tests: `KINETIK_REDIS_URL`, else a private `redis-server`, else the
 * reason the Redis tests are skipped (a string).
 */
export async function redisServer(options: RedisServerOptions = {}): Promise<RedisServer | string> {
  const external = globalThis.process?.env?.KINETIK_REDIS_URL;
  if (external && !options.tls && options.password === undefined) {
    const noop = () => Promise.resolve();
    const ignore = () => {};
    return {
      url: external,
      ownsServer: false,
      start: noop,
      stop: noop,
      freeze: ignore,
      thaw: ignore,
      dispose: noop,
    };
  }
  if (!hasRedisServer()) {
    return options.tls || options.password !== undefined
      ? "redis-server is not on PATH (this test starts a server of its own)"
      : "neither redis-server on PATH nor KINETIK_REDIS_URL is available";
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kinetik-redis-"));
  if (options.tls && !makeCertificates(dir)) {
    rmSync(dir, { recursive: true, force: true });
    return "openssl could not make test certificates";
  }
  let running: Running | undefined = await launch(port, dir, options);
  const stop = async () => {
    if (!running) return;
    const { child, exited } = running;
    running = undefined;
    signal(child, "SIGCONT"); // A frozen process would not handle SIGTERM.
    child.kill("SIGTERM");
    // A server that ignores SIGTERM (stopped, say) is killed: a test never hangs on it.
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
    child.stdout?.destroy();
    child.stderr?.destroy();
  };
  return {
    url: `${options.tls ? "rediss" : "redis"}://127.0.0.1:${port}`,
    ca: options.tls ? readFileSync(join(dir, "ca.crt"), "utf8") : undefined,
    ownsServer: true,
    async start() {
      if (!running) running = await launch(port, dir, options);
    },
    stop,
    freeze() {
      if (running) signal(running.child, "SIGSTOP");
    },
    thaw() {
      if (running) signal(running.child, "SIGCONT");
    },
    async dispose() {
      // Removed before waiting: a runtime may end the process without awaiting this hook.
      const stopped = stop();
      rmSync(dir, { recursive: true, force: true });
      await stopped;
    },
  };
}
