/**
 * Child processes for the CLI tests: run a command to its end, or keep one running and wait
 * for what it prints; and the command line run in process, its output captured. Through `node:child_process`, so Deno and Bun run the same tests;
 * every process is awaited, so Deno's sanitizers stay quiet. @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import process from "node:process";
import { runCli, type RunCliOptions } from "../src/cli/run_cli.ts";

/** How a finished command ended. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** A running child process and what it printed so far. */
export interface Running {
  child: ChildProcess;
  pid: number;
  /** Resolves to the exit code (or the signal's name) once it has ended and closed its pipes. */
  exited: Promise<number | string>;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Everything it printed on stderr so far. */
  errors(): string;
  /** Resolves once stdout contains `text`; rejects if the process ends first, or after 15 s. */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves once stderr contains `text`; rejects if the process ends first, or after 15 s. */
  printedOnStderr(text: string, timeoutMs?: number): Promise<void>;
}

/** How long `printed()` waits for a line by default: a regression fails instead of hanging. */
const WAIT_MS = 15_000;

/** Options of {@linkcode spawnChild}. */
export interface SpawnOptions {
  cwd?: string;
  /** Added to the environment (with `NO_COLOR=1`). */
  env?: Record<string, string>;
}

/** Starts `command` with `args`, capturing its output. */
export function spawnChild(
  command: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Running {
  const child = spawn(command, [...args], {
    cwd: options.cwd,
    env: { ...process.env, NO_COLOR: "1", ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const text = { stdout: "", stderr: "" };
  const waiters: { stream: "stdout" | "stderr"; text: string; resolve: () => void }[] = [];
  const check = () => {
    for (const waiter of waiters) {
      if (text[waiter.stream].includes(waiter.text)) waiter.resolve();
    }
  };
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (text.stdout += chunk, check()));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (text.stderr += chunk, check()));
  const exited = new Promise<number | string>((resolve, reject) => {
    child.once("error", reject);
    child.once("close", (code, signal) => resolve(code ?? signal ?? -1));
  });
  const waitFor = (stream: "stdout" | "stderr", wanted: string, timeoutMs = WAIT_MS) =>
    new Promise<void>((resolve, reject) => {
      if (text[stream].includes(wanted)) return resolve();
      const fail = (why: string) => {
        clearTimeout(timer);
        reject(
          new Error(
            `${command} ${why} before printing ${JSON.stringify(wanted)}:\n` +
              `stdout: ${text.stdout}\nstderr: ${text.stderr}`,
          ),
        );
      };
      const timer = setTimeout(() => fail(`did not print it within ${timeoutMs} ms`), timeoutMs);
      waiters.push({
        stream,
        text: wanted,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
      exited.then((code) => fail(`ended (${code})`), reject);
    });
  return {
    child,
    pid: child.pid!,
    exited,
    output: () => text.stdout,
    errors: () => text.stderr,
    printed: (wanted, timeoutMs) => waitFor("stdout", wanted, timeoutMs),
    printedOnStderr: (wanted, timeoutMs) => waitFor("stderr", wanted, timeoutMs),
  };
}

/** Runs a command to its end (killed after `timeoutMs`). */
export async function runBinary(
  command: string,
  args: readonly string[],
  { timeoutMs = 15_000, ...options }: SpawnOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  const running = spawnChild(command, args, options);
  const timer = setTimeout(() => running.child.kill("SIGKILL"), timeoutMs);
  try {
    const code = await running.exited;
    return {
      code: typeof code === "number" ? code : null,
      stdout: running.output(),
      stderr: running.errors(),
    };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Runs the command line in this process (`runCli()`), capturing what it writes; the default
 * store is `KINETIK_STORE` as for the binary, so tests pass `--store` or a queue.
 */
export async function runCaptured(
  args: readonly string[],
  options: Omit<RunCliOptions, "stdout" | "stderr"> = {},
): Promise<Finished> {
  let stdout = "";
  let stderr = "";
  const code = await runCli(args, {
    isTTY: false,
    isColor: false,
    ...options,
    stdout: (text) => stdout += text,
    stderr: (text) => stderr += text,
  });
  return { code, stdout, stderr };
}
