import { test } from "node:test";
import assert from "node:assert/strict";
import { Emitter } from "../src/emitter.ts";
import { PATIENCE, waitFor } from "./_helpers.ts";

type Events = {
  greet: [name: string];
  tick: [];
};

function recorder(): { errors: [unknown, string][]; emitter: Emitter<Events> } {
  const errors: [unknown, string][] = [];
  return { errors, emitter: new Emitter<Events>((error, event) => errors.push([error, event])) };
}

test("on() adds listeners that each receive the arguments, in order, on every emit", () => {
  const { emitter } = recorder();
  const calls: string[] = [];
  emitter.on("greet", (name) => calls.push(`a:${name}`)).on(
    "greet",
    (name) => calls.push(`b:${name}`),
  );
  emitter.emit("greet", "ford");
  emitter.emit("greet", "arthur");
  assert.deepEqual(calls, ["a:ford", "b:ford", "a:arthur", "b:arthur"]);
});

test("on() returns the emitter for chaining", () => {
  const { emitter } = recorder();
  assert.equal(emitter.on("tick", () => {}), emitter);
  assert.equal(emitter.once("tick", () => {}), emitter);
  assert.equal(emitter.off("tick", () => {}), emitter);
});

test("once() runs a listener only on the first emit", () => {
  const { emitter } = recorder();
  const names: string[] = [];
  emitter.once("greet", (name) => names.push(name));
  emitter.emit("greet", "ford");
  emitter.emit("greet", "arthur");
  assert.deepEqual(names, ["ford"]);
  assert.equal(emitter.hasListeners("greet"), false);
});

test("off() removes a listener added with on()", () => {
  const { emitter } = recorder();
  let count = 0;
  const listener = () => count++;
  emitter.on("tick", listener);
  emitter.emit("tick");
  emitter.off("tick", listener);
  emitter.emit("tick");
  assert.equal(count, 1);
});

test("off() removes a listener added with once() before it runs", () => {
  const { emitter } = recorder();
  let count = 0;
  const listener = () => count++;
  emitter.once("tick", listener);
  emitter.off("tick", listener);
  assert.equal(emitter.emit("tick"), false);
  assert.equal(count, 0);
});

test("off() removes one registration and leaves other listeners", () => {
  const { emitter } = recorder();
  const calls: string[] = [];
  const a = () => calls.push("a");
  emitter.on("tick", a).on("tick", a).on("tick", () => calls.push("b"));
  emitter.off("tick", a);
  emitter.emit("tick");
  assert.deepEqual(calls, ["a", "b"]);
});

test("off() does nothing when the event or listener is unknown", () => {
  const { emitter } = recorder();
  let count = 0;
  emitter.on("tick", () => count++);
  emitter.off("greet", () => {}).off("tick", () => {});
  emitter.emit("tick");
  assert.equal(count, 1);
});

test("hasListeners() tells whether an event has listeners left", () => {
  const { emitter } = recorder();
  const listener = () => {};
  assert.equal(emitter.hasListeners("tick"), false);
  emitter.on("tick", listener);
  assert.equal(emitter.hasListeners("tick"), true);
  assert.equal(emitter.hasListeners("greet"), false);
  emitter.off("tick", listener);
  assert.equal(emitter.hasListeners("tick"), false);
});

test("emit() returns whether there was a listener", () => {
  const { emitter } = recorder();
  assert.equal(emitter.emit("tick"), false);
  emitter.on("tick", () => {});
  assert.equal(emitter.emit("tick"), true);
});

test("emit() sends a throwing listener's error to onListenerError and runs the others", () => {
  const { emitter, errors } = recorder();
  const boom = new Error("boom");
  const calls: string[] = [];
  emitter.on("greet", () => {
    throw boom;
  });
  emitter.on("greet", (name) => calls.push(name));
  assert.equal(emitter.emit("greet", "ford"), true);
  assert.deepEqual(calls, ["ford"]);
  assert.deepEqual(errors, [[boom, "greet"]]);
});

test("emit() sends a rejecting async listener's error to onListenerError and runs the others", async () => {
  const { emitter, errors } = recorder();
  const boom = new Error("async boom");
  const calls: string[] = [];
  emitter.on("tick", async () => {
    await Promise.resolve();
    throw boom;
  });
  emitter.on("tick", () => calls.push("after"));
  emitter.emit("tick");
  assert.deepEqual(calls, ["after"]);
  await waitFor(() => errors.length > 0, PATIENCE, "the rejection to be reported");
  assert.deepEqual(errors, [[boom, "tick"]]);
});

test("emit() runs a listener added during an emit only from the next emit", () => {
  const { emitter } = recorder();
  const calls: string[] = [];
  emitter.on("tick", () => {
    calls.push("first");
    emitter.on("tick", () => calls.push("added"));
  });
  emitter.emit("tick");
  assert.deepEqual(calls, ["first"]);
});

test("Emitter() prints a listener's error with console.error when no handler is given", () => {
  const emitter = new Emitter<Events>();
  const printed: unknown[][] = [];
  const original = console.error;
  console.error = (...args: unknown[]) => printed.push(args);
  const boom = new Error("boom");
  try {
    emitter.on("tick", () => {
      throw boom;
    });
    emitter.emit("tick");
  } finally {
    console.error = original;
  }
  assert.deepEqual(printed, [['kinetik: a "tick" listener threw:', boom]]);
});
