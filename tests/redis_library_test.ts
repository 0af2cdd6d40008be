// The Redis Functions library of the store's scripts (stores/redis/_library.ts): pure text,
// no Redis (tests/redis_calls_test.ts loads it into one).
import assert from "node:assert/strict";
import { test } from "node:test";
import { functionLibrary } from "../stores/redis/_library.ts";
import { RedisScript } from "../stores/redis/_script.ts";
import { LIBRARY, SCRIPTS } from "../stores/redis/_scripts.ts";

const SHARED = `
local base = KEYS[1]
local function jobKey(id) return base .. 'job:' .. id end
local seen = {}
local STATUSES = { 'queued' }
local function note(id) seen[id] = true end
`;

test("functionLibrary() declares per-call values at the top and assigns them in each function", () => {
  const get = new RedisScript("get", SHARED, "return redis.call('HGETALL', jobKey(ARGV[1]))");
  const mark = new RedisScript("mark-seen", SHARED, "note(ARGV[1])\nreturn STATUSES[1]");
  const { name, source, functions } = functionLibrary([get, mark], new Set([get]));
  assert.match(name, /^kinetik_[0-9a-f]{16}$/);
  assert.ok(source.startsWith(`#!lua name=${name}\n`));
  assert.match(source, /\nlocal base\n/);
  assert.match(source, /\nlocal seen\n/);
  // A constant is built once, at load.
  assert.match(source, /\nlocal STATUSES = \{ 'queued' \}\n/);
  assert.equal(functions.get(get), `${name}_get`);
  assert.equal(functions.get(mark), `${name}_mark_seen`);
  // Each function assigns the values it needs, directly or through a helper, and no others.
  const body = (fn: string) => source.slice(source.indexOf(`'${fn}'`)).split("\nend }")[0];
  assert.match(
    body(`${name}_get`),
    /flags = \{ 'no-writes' \}, callback = function\(KEYS, ARGV\)\nbase = KEYS\[1\]\nreturn/,
  );
  assert.doesNotMatch(body(`${name}_get`), /seen = /);
  assert.match(
    body(`${name}_mark_seen`),
    /flags = \{\}, callback = function\(KEYS, ARGV\)\nseen = \{\}\nnote/,
  );
});

test("functionLibrary() names a library by its content, so two versions load side by side", () => {
  const one = functionLibrary([new RedisScript("get", SHARED, "return 1")]);
  const two = functionLibrary([new RedisScript("get", SHARED, "return 2")]);
  assert.notEqual(one.name, two.name);
  assert.equal(functionLibrary([new RedisScript("get", SHARED, "return 1")]).name, one.name);
});

test("functionLibrary() refuses a constant that a script changes", () => {
  const script = new RedisScript("bad", SHARED, "STATUSES[2] = 'x'\nreturn 1");
  assert.throws(
    () => functionLibrary([script]),
    new SyntaxError(
      "Cannot build the Redis function library as a constant is assigned: current value is STATUSES",
    ),
  );
});

test("functionLibrary() refuses a function that would reach more than 60 upvalues", () => {
  const many = Array.from({ length: 61 }, (_, i) => `local function f${i}() return ${i} end`);
  const body = `return ${many.map((_, i) => `f${i}()`).join(" + ")}`;
  assert.throws(
    () => functionLibrary([new RedisScript("wide", many.join("\n"), body)]),
    new SyntaxError(
      "Cannot build the Redis function wide as it would reach more than 60 upvalues: current value is 61",
    ),
  );
});

test("LIBRARY registers one function per script of the store", () => {
  assert.equal(LIBRARY.functions.size, Object.keys(SCRIPTS).length);
  for (const script of Object.values(SCRIPTS)) {
    assert.match(LIBRARY.source, new RegExp(`function_name = '${LIBRARY.functions.get(script)}'`));
  }
});
