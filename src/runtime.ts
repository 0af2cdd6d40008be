/**
 * The few things that differ between Deno and Bun (and Node), in one place: environment
 * variables, the host name and pid, and shutdown signals. Everything goes through
 * `node:process` and `node:os`, which both runtimes provide. @module
 */

import process from "node:process";
import { hostname as osHostname } from "node:os";

/** An environment variable, or `undefined` when unset or not readable (no permission). */
export function getEnv(name: string): string | undefined {
  try {
    return process.env[name];
  } catch {
    return undefined;
  }
}

/** This machine's name, for worker ids. */
export function hostname(): string {
  try {
    return osHostname();
  } catch {
    return "localhost";
  }
}

/** This process's id. */
export function pid(): number {
  return process.pid;
}

/** The command-line arguments after the script. */
export function args(): string[] {
  return process.argv.slice(2);
}

/**
 * Calls `handler` once on SIGINT or SIGTERM; a second signal exits at once. Returns a
 * function that removes the handlers.
 */
export function onShutdownSignal(handler: (signal: string) => void): () => void {
  let isShuttingDown = false;
  const listener = (signal: string) => {
    if (isShuttingDown) process.exit(130);
    isShuttingDown = true;
    handler(signal);
  };
  process.on("SIGINT", listener);
  process.on("SIGTERM", listener);
  return () => {
    process.off("SIGINT", listener);
    process.off("SIGTERM", listener);
  };
}
