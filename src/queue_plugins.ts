/**
 * The seed's two ways of extending a queue: `queue.configure([env,] fn)` and
 * `queue.use(plugin)`. @module
 */

import type { Queue } from "./queue.ts";
import { getEnv } from "./runtime.ts";

/**
 * A plugin for `queue.use()`: a function of the queue, or an object with `handle(queue)`.
 * (Spelled out rather than `PluginOf<Queue>`, so the public type names no private one.)
 */
export type Plugin = ((queue: Queue) => unknown) | { handle(queue: Queue): unknown };

/** A plugin of a `Q`: a function of it, or an object with `handle(it)`. */
export type PluginOf<Q> = ((queue: Q) => unknown) | { handle(queue: Q): unknown };

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Runs `fn` when no env is given (`env` is then the function), or when `NODE_ENV` (default
 * `"development"`) equals `env`; returns its result, else `false`.
 * @throws {TypeError} when `env` is a string and `fn` is not a function
 */
export function configureFor<T>(env: string | (() => T), fn?: () => T): T | false {
  if (typeof env === "function") return env();
  if (typeof fn !== "function") {
    throw new TypeError(
      `Cannot configure as the second argument must be a function: current value is ${show(fn)}`,
    );
  }
  return (getEnv("NODE_ENV") ?? "development") === env ? fn() : false;
}

/**
 * Runs a plugin on `queue`.
 * @throws {TypeError} when the plugin is neither a function nor has `handle()`
 */
export function applyPlugin<Q>(queue: Q, plugin: PluginOf<Q>): void {
  if (typeof plugin === "function") plugin(queue);
  else if (typeof plugin?.handle === "function") plugin.handle(queue);
  else {
    throw new TypeError(
      `Cannot use plugin as it must be a function or have handle(): current value is ${
        show(plugin)
      }`,
    );
  }
}
