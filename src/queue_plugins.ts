/**
 * The seed's two ways of extending a queue: `configure([env,] fn)`, which runs set-up code for
 * one environment, and `use(plugin)`, which hands the queue to a plugin. @module
 */

import { getEnv } from "./runtime.ts";

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Runs `fn` when no env is given, or when `NODE_ENV` (default "development") equals `env`;
 * returns its result, else `false`.
 * @throws {TypeError} when `env` is given without a function
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
 * Calls a plugin with `target`: `plugin(target)` or `plugin.handle(target)`.
 * @throws {TypeError} when the plugin is neither
 */
export function applyPlugin<Q>(
  target: Q,
  plugin: ((queue: Q) => unknown) | { handle(queue: Q): unknown },
): void {
  if (typeof plugin === "function") plugin(target);
  else if (typeof plugin?.handle === "function") plugin.handle(target);
  else {
    throw new TypeError(
      `Cannot use plugin as it must be a function or have handle(): current value is ${
        show(plugin)
      }`,
    );
  }
}
