// The trimming of the shared Lua libraries (stores/redis/_prelude.ts): pure text, no Redis.
import assert from "node:assert/strict";
import { test } from "node:test";
import { trimmedScript } from "../stores/redis/_prelude.ts";
import { SCRIPTS } from "../stores/redis/_scripts.ts";

const LIBRARY = `
local base = KEYS[1]
-- A key of a job.
local function jobKey(id) return base .. 'job:' .. id end
local function unused(id)
  return id .. 'nobody calls this'
end
-- The next one is reached only through lease().
local seen, order = {}, {}
local function note(id) seen[id] = true end
local function lease(id)
  note(id)
  return jobKey(id)
end
`;

test("trimmedScript() keeps the definitions a body uses, directly or through another", () => {
  const source = trimmedScript([LIBRARY], "return lease(ARGV[1])");
  assert.match(source, /local function lease/);
  assert.match(source, /local seen, order = \{\}, \{\}/);
  assert.match(source, /-- A key of a job\.\nlocal function jobKey/);
  assert.match(source, /local base = KEYS\[1\]/);
  assert.doesNotMatch(source, /unused/);
  assert.ok(source.endsWith("return lease(ARGV[1])"));
  // Definitions stay in their order, so each comes before its first use.
  assert.ok(source.indexOf("local base") < source.indexOf("local function jobKey"));
  assert.ok(source.indexOf("local function note") < source.indexOf("local function lease"));
});

test("trimmedScript() keeps nothing of a library a body does not use", () => {
  assert.equal(trimmedScript([LIBRARY], "return 1"), "return 1");
});

test("trimmedScript() does not count a name that appears only in a comment of the body", () => {
  assert.equal(trimmedScript([LIBRARY], "-- not lease()\nreturn 1"), "-- not lease()\nreturn 1");
});

test("trimmedScript() refuses a library with a top-level statement that is not a definition", () => {
  assert.throws(
    () => trimmedScript([`local a = 1\nredis.call('DEL', 'x')\n`], "return a"),
    (error: Error) =>
      error instanceof SyntaxError &&
      error.message ===
        "Cannot trim a Lua library as a top-level line is not a local definition: " +
          `current value is "redis.call('DEL', 'x')"`,
  );
});

test("trimmedScript() leaves the settle script every helper its claim needs", () => {
  const { source } = SCRIPTS.settle;
  for (const name of ["claim", "lease", "promote", "readLimits", "trimFinished", "flushLater"]) {
    assert.match(source, new RegExp(`local function ${name}\\b`));
  }
  assert.doesNotMatch(SCRIPTS.renew.source, /local function claim\b/);
});
