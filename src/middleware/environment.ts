/**
 * The seed's `environment` middleware: process the tags named in the `QUEUE` environment
 * variable, so one script runs as many different workers (`QUEUE=messaging deno task work`).
 * @module
 */

import type { Processor } from "../processor.ts";
import type { Queue } from "../queue.ts";
import { getEnv, onShutdownSignal } from "../runtime.ts";

/** Options of {@linkcode environment}. */
export interface EnvironmentOptions {
  /** The variable to read. @default "QUEUE" */
  variable?: string;
  /** Stop gracefully on SIGINT/SIGTERM. @default true */
  handleSignals?: boolean;
}

/** The tags in a comma-separated list, trimmed, empties dropped. */
export function parseTagList(value: string | undefined): string[] {
  return (value ?? "").split(",").map((tag) => tag.trim()).filter((tag) => tag !== "");
}

/**
 * A plugin that starts one processor over the tags in `QUEUE` (comma-separated, in priority
 * order), else over `tags`, else nothing. On SIGINT/SIGTERM the queue closes gracefully.
 *
 * @param tags used when `QUEUE` is unset or empty
 * @example Worker script
 * ```ts
 * import { environment, kinetik } from "../../mod.ts";
 * const queue = kinetik();
 * queue.define("send email").tag("messaging").action(async () => {});
 * queue.use(environment([], { handleSignals: false })); // QUEUE unset: does nothing
 * await queue.close();
 * ```
 */
export function environment(
  tags: string | string[] = [],
  options: EnvironmentOptions = {},
): (queue: Queue) => Processor | undefined {
  return (queue) => {
    const fromEnv = parseTagList(getEnv(options.variable ?? "QUEUE"));
    const list = fromEnv.length > 0
      ? fromEnv
      : typeof tags === "string"
      ? parseTagList(tags)
      : tags;
    if (list.length === 0) return undefined;
    const processor = queue.process(list);
    if (options.handleSignals ?? true) {
      const remove = onShutdownSignal(() => {
        remove();
        queue.close().catch((error) => queue.reportError(error));
      });
    }
    return processor;
  };
}
