/**
 * The `kinetik` command's argument parsing (`src/cli/_args.ts`): strict options, values that
 * look like options, and usage errors that name the token and the closest valid one.
 */

import assert from "node:assert/strict";
import { test } from "node:test";
import { parseCommandArgs, UsageError } from "../src/cli/_args.ts";

const ADD = { priority: { type: "string" }, delay: { type: "string" } } as const;

test("parseCommandArgs() takes a negative number after an option that needs a value", () => {
  const parsed = parseCommandArgs("add", ["report", "--priority", "-1", "--json"], ADD, 2);
  assert.equal(parsed.values.priority, "-1");
  assert.equal(parsed.values.json, true);
  assert.deepEqual(parsed.positionals, ["report"]);
  assert.equal(parseCommandArgs("add", ["r", "--priority=-2"], ADD, 2).values.priority, "-2");
});

test("parseCommandArgs() still refuses a missing value and an unknown short option", () => {
  assert.throws(
    () => parseCommandArgs("add", ["report", "--priority"], ADD, 2),
    new UsageError("add: option --priority needs a value"),
  );
  assert.throws(
    () => parseCommandArgs("add", ["report", "-1"], ADD, 2),
    (error: Error) => error instanceof UsageError && /add: unknown option -1/.test(error.message),
  );
  // After `--`, everything is a positional, even "--priority".
  assert.deepEqual(
    parseCommandArgs("add", ["--", "--priority", "-1"], ADD, 2).positionals,
    ["--priority", "-1"],
  );
});

test("parseCommandArgs() names no command in errors about the options before one", () => {
  assert.throws(
    () => parseCommandArgs("", ["--verison"], { version: { type: "boolean" } }, 0),
    new UsageError("unknown option --verison (did you mean --version?); see kinetik --help"),
  );
  assert.throws(
    () => parseCommandArgs("jobs", ["--tagz"], { tags: { type: "string" } }, 0),
    new UsageError("jobs: unknown option --tagz (did you mean --tags?); see kinetik jobs --help"),
  );
});
