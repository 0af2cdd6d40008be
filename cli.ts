#!/usr/bin/env -S deno run -A
/**
 * The `kinetik` command: inspect and drive a queue on any store from the shell.
 *
 * ```sh
 * kinetik jobs                                  # counts by tag, task and status
 * kinetik add "send email" '{"to":"ford@example.com"}'
 * kinetik --store redis://127.0.0.1:6379 watch  # live events from every worker
 * ```
 *
 * It only parses flags and calls the library (see `src/cli/`); `deno task compile` or
 * `deno task compile:bun` build a single binary. Exit codes: 0 success, 1 failure, 2 usage.
 *
 * @module
 */

import process from "node:process";
import { runCli } from "./src/cli/run_cli.ts";
import { type DriverStores, openStoreWith } from "./src/open_store.ts";

export { runCli, type RunCliOptions } from "./src/cli/run_cli.ts";
export type { HttpServing } from "./src/cli/serve.ts";

/** Resolves once everything written to a stream has been handed to the OS. */
function drain(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => stream.write("", () => resolve()));
}

/**
 * Every store, as imports a bundler follows: `deno task compile` and `bun build --compile`
 * put them all in the binary (the library imports them at run time only; see
 * `src/open_store.ts`).
 */
const BUNDLED_STORES: DriverStores = {
  redis: () => import("./stores/redis.ts"),
  mongo: () => import("./stores/mongo.ts"),
  postgres: () => import("./stores/postgres.ts"),
};

if (import.meta.main) {
  const openStore = (url: string) => openStoreWith(url, BUNDLED_STORES);
  const loadHttp = () => import("./http/_serve_queue.ts");
  const code = await runCli(process.argv.slice(2), { openStore, loadHttp });
  await Promise.all([drain(process.stdout), drain(process.stderr)]);
  // A store client may keep timers alive (reconnects); the command is done, so exit now.
  process.exit(code);
}
