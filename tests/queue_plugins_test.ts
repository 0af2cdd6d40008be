import { test } from "node:test";
import assert from "node:assert/strict";
import process from "node:process";
import { applyPlugin, configureFor } from "../src/queue_plugins.ts";

test("configureFor() runs fn without env, and with env only when NODE_ENV matches", () => {
  const before = process.env.NODE_ENV;
  try {
    delete process.env.NODE_ENV;
    assert.equal(configureFor(() => 1), 1);
    assert.equal(configureFor("development", () => 2), 2, "NODE_ENV defaults to development");
    assert.equal(configureFor("production", () => 3), false);
    process.env.NODE_ENV = "production";
    assert.equal(configureFor("production", () => 4), 4);
  } finally {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  }
});

test("configureFor() throws a TypeError when env comes without a function", () => {
  assert.throws(
    () => configureFor("production", "nope" as never),
    new TypeError(
      'Cannot configure as the second argument must be a function: current value is "nope"',
    ),
  );
});

test("applyPlugin() calls a function or an object's handle() with the target", () => {
  const seen: string[] = [];
  applyPlugin("q", (queue) => seen.push(`fn ${queue}`));
  applyPlugin("q", { handle: (queue) => seen.push(`handle ${queue}`) });
  assert.deepEqual(seen, ["fn q", "handle q"]);
  assert.throws(
    () => applyPlugin("q", 42 as never),
    new TypeError(
      "Cannot use plugin as it must be a function or have handle(): current value is 42",
    ),
  );
});
