/**
 * What tests do when something they need from outside is missing (the compiled binary,
 * `redis-server`, a MongoDB): one call per prerequisite, whose result is the tests' `skip`.
 *
 * ```ts ignore
 * const server = await redisServer(); // the server, or the reason there is none
 * const skip = unavailable("the Redis store tests", typeof server === "string" ? server : undefined);
 * test("RedisStore …", { skip }, async () => {});
 * ```
 *
 * - In CI (`CI` set, as `.ci/run` sets it) a missing prerequisite is a failure: one test
 *   named "<what> can run" fails with the reason, so a broken build or a missing
 *   server turns the run red instead of shrinking it. The dependent tests are skipped, as
 *   running them without it would only add noise.
 * - Elsewhere the dependent tests are skipped and one line says what and why. Under
 *   `tests/_suite.ts` (`deno task test`, `deno task test:bun`) the line is printed after the
 *   runner's summary, where it is seen; run directly, it is printed at once. @module
 */

import { appendFileSync } from "node:fs";
import process from "node:process";
import { test } from "node:test";

/** The environment variable `tests/_suite.ts` sets: the file collecting skip lines. */
export const SKIP_REPORT_ENV = "KINETIK_SKIP_REPORT";

/** Whether this run is CI: `CI` is set to anything but "", "0" or "false". */
export function isCI(): boolean {
  const value = process.env.CI;
  return value !== undefined && !["", "0", "false"].includes(value.toLowerCase());
}

/**
 * Decides what happens to tests whose prerequisite may be missing.
 *
 * @param what the tests that need it, as a summary names them: "the Redis store tests"
 * @param reason why the prerequisite is missing, or `undefined` when it is there
 * @returns the `skip` option for those tests: `undefined` when they can run, else `reason`
 */
export function unavailable(what: string, reason: string | undefined): string | undefined {
  if (reason === undefined) return undefined;
  if (isCI()) {
    test(`${what} can run`, () => {
      throw new Error(`${what} cannot run in CI: ${reason}`);
    });
    return reason;
  }
  const line = JSON.stringify({ what, reason });
  const file = process.env[SKIP_REPORT_ENV];
  if (file) appendFileSync(file, line + "\n");
  else console.log(`Skipping ${what}: ${reason}`);
  return reason;
}
