import { test } from "node:test";
import assert from "node:assert/strict";
import { assertJsonData, MAX_DATA_DEPTH } from "../src/json_data.ts";

const WHAT = 'create job for "send email"';

function notJson(problem: string): TypeError {
  return new TypeError(`Cannot ${WHAT} as its data must be JSON-serialisable: ${problem}`);
}

test("assertJsonData() passes plain JSON data", () => {
  const data = { to: "ford@example.com", n: 42, ok: true, none: null, list: [1, "two", { x: 3 }] };
  assert.equal(assertJsonData(data, WHAT), undefined);
  assert.equal(assertJsonData("text", WHAT), undefined);
  assert.equal(assertJsonData(null, WHAT), undefined);
  assert.equal(assertJsonData([], WHAT), undefined);
});

test("assertJsonData() passes Dates and objects with toJSON whatever they hold", () => {
  const custom = { toJSON: () => "custom", inner: () => "not visited" };
  assert.doesNotThrow(() => assertJsonData({ when: new Date(0), custom }, WHAT));
});

test("assertJsonData() passes an object referenced twice when it is not a cycle", () => {
  const shared = { id: 1 };
  assert.doesNotThrow(() => assertJsonData({ a: shared, b: [shared, shared] }, WHAT));
});

test("assertJsonData() throws TypeError naming a function and its path", () => {
  assert.throws(() => assertJsonData({ fn() {} }, WHAT), notJson("data.fn is a function"));
  assert.throws(() => assertJsonData(() => 1, WHAT), notJson("data is a function"));
});

test("assertJsonData() throws TypeError naming a symbol and its path", () => {
  assert.throws(
    () => assertJsonData({ tag: Symbol("x") }, WHAT),
    notJson("data.tag is a symbol"),
  );
});

test("assertJsonData() throws TypeError showing a BigInt's value", () => {
  assert.throws(() => assertJsonData({ big: 5n }, WHAT), notJson("data.big is a BigInt (5n)"));
});

test("assertJsonData() throws TypeError for NaN and infinite numbers", () => {
  assert.throws(() => assertJsonData({ n: NaN }, WHAT), notJson("data.n is NaN"));
  assert.throws(() => assertJsonData([Infinity], WHAT), notJson("data[0] is Infinity"));
  assert.throws(() => assertJsonData(-Infinity, WHAT), notJson("data is -Infinity"));
});

test("assertJsonData() throws TypeError naming a cycle's path", () => {
  const data: Record<string, unknown> = { user: { name: "ford" } };
  (data.user as Record<string, unknown>).self = data;
  assert.throws(
    () => assertJsonData(data, WHAT),
    notJson("data.user.self is a circular reference"),
  );
});

test("assertJsonData() names the nested path through objects and arrays", () => {
  const data = { users: [{ name: "ford" }, { name: "arthur", tags: ["a", () => 1] }] };
  assert.throws(() => assertJsonData(data, WHAT), notJson("data.users[1].tags[1] is a function"));
});

test("assertJsonData() names the first offending path when there are several", () => {
  assert.throws(
    () => assertJsonData({ a: 1, b: 2n, c: Symbol("c") }, WHAT),
    notJson("data.b is a BigInt (2n)"),
  );
});

test("assertJsonData() uses what is being done in the message", () => {
  assert.throws(
    () => assertJsonData({ fn() {} }, "log"),
    new TypeError("Cannot log as its data must be JSON-serialisable: data.fn is a function"),
  );
});

test("assertJsonData() refuses a Map or a Set, whose contents JSON would drop", () => {
  assert.throws(
    () => assertJsonData({ seen: new Set([1]) }, "create job"),
    new TypeError("Cannot create job as its data must be JSON-serialisable: data.seen is a Set"),
  );
  assert.throws(() => assertJsonData(new Map(), "create job"), /data is a Map/);
});

test("assertJsonData() passes data nested deeper than its fast check looks", () => {
  let deep: unknown = { leaf: 1 };
  for (let i = 0; i < 200; i++) deep = i % 2 ? { inner: deep } : [deep];
  assert.doesNotThrow(() => assertJsonData(deep, WHAT));
});

test("assertJsonData() names a bad value below the fast check's depth", () => {
  let deep: Record<string, unknown> = { bad: () => {} };
  for (let i = 0; i < 100; i++) deep = { a: deep };
  assert.throws(
    () => assertJsonData(deep, WHAT),
    notJson(`data${".a".repeat(100)}.bad is a function`),
  );
});

/** `levels` arrays or objects, one inside the other, around `leaf`. */
function nested(levels: number, leaf: unknown = 1): unknown {
  let value = leaf;
  for (let i = 0; i < levels; i++) value = i % 2 ? { inner: value } : [value];
  return value;
}

test("assertJsonData() passes data nested MAX_DATA_DEPTH (1,000) levels deep", () => {
  assert.equal(MAX_DATA_DEPTH, 1_000);
  assert.doesNotThrow(() => assertJsonData(nested(MAX_DATA_DEPTH), WHAT));
  assert.doesNotThrow(() => assertJsonData(nested(MAX_DATA_DEPTH - 1, {}), WHAT));
});

test("assertJsonData() passes the deepest data in shapes JSON.stringify walks recursively", () => {
  // Integer-like keys and toJSON values send V8's JSON.stringify down its recursive path.
  let deep: unknown = { when: new Date(0) };
  for (let i = 1; i < MAX_DATA_DEPTH; i++) deep = { [i % 10]: deep };
  assert.doesNotThrow(() => assertJsonData(deep, WHAT));
  const text = JSON.stringify(deep);
  assert.equal(JSON.stringify(JSON.parse(text)), text);
});

test("assertJsonData() throws RangeError naming the limit when data is nested deeper", () => {
  const tooDeep = new RangeError(
    `Cannot ${WHAT} as its data must be nested at most 1000 levels deep: ` +
      "current value is nested more than 1000 levels deep",
  );
  assert.throws(() => assertJsonData(nested(MAX_DATA_DEPTH + 1), WHAT), tooDeep);
  assert.throws(() => assertJsonData(nested(MAX_DATA_DEPTH, []), WHAT), tooDeep);
  assert.throws(() => assertJsonData(nested(10_000), WHAT), tooDeep);
  assert.throws(() => assertJsonData(nested(1_000_000), WHAT), tooDeep);
});

test("assertJsonData() names a bad value and a cycle 900 levels down", () => {
  let deep: Record<string, unknown> = { bad: 1n };
  for (let i = 0; i < 900; i++) deep = { a: deep };
  assert.throws(
    () => assertJsonData(deep, WHAT),
    notJson(`data${".a".repeat(900)}.bad is a BigInt (1n)`),
  );
  const root: Record<string, unknown> = {};
  let tip = root;
  for (let i = 0; i < 900; i++) tip = (tip.a = {}) as Record<string, unknown>;
  tip.back = root;
  assert.throws(
    () => assertJsonData(root, WHAT),
    notJson(`data${".a".repeat(900)}.back is a circular reference`),
  );
});

test("assertJsonData() reports a cycle rather than the depth limit it would run past", () => {
  const loop: unknown[] = [];
  loop.push([loop]);
  assert.throws(
    () => assertJsonData({ loop }, WHAT),
    notJson("data.loop[0][0] is a circular reference"),
  );
});
