/**
 * Runs the `kinetik` command line in process on a queue of the test's own (usually on a
 * memory store), capturing what it prints. @module
 */

import type { Queue } from "../mod.ts";
import { runCli, type RunCliOptions } from "../src/cli/run_cli.ts";

/** What a command printed and its exit code. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `args` on `queue`; `options` may answer prompts (`confirm`, none by default, whatever
 * the terminal) or stop it (`signal`).
 */
export async function runOn(
  queue: Queue,
  args: readonly string[],
  options: Omit<RunCliOptions, "queue" | "stdout" | "stderr"> = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    isTTY: false,
    confirm: false,
    signal: new AbortController().signal,
    ...options,
    queue,
    stdout: (text) => stdout += text,
    stderr: (text) => stderr += text,
  });
  return { code, stdout, stderr };
}
