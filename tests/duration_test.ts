import { test } from "node:test";
import assert from "node:assert/strict";
import { parseDuration } from "../src/duration.ts";

const UNREADABLE =
  'Cannot read delay as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is ';
const NEGATIVE = "Cannot use delay as it must be a finite duration >= 0: current value is ";

test("parseDuration() reads the seed's formats 10ms 30s 45m 2h 6d 1d", () => {
  assert.equal(parseDuration("10ms", "delay"), 10);
  assert.equal(parseDuration("30s", "delay"), 30_000);
  assert.equal(parseDuration("45m", "delay"), 2_700_000);
  assert.equal(parseDuration("2h", "delay"), 7_200_000);
  assert.equal(parseDuration("6d", "delay"), 518_400_000);
  assert.equal(parseDuration("1d", "delay"), 86_400_000);
});

test("parseDuration() reads fractions and spaced units when ms accepts them", () => {
  assert.equal(parseDuration("1.5h", "delay"), 5_400_000);
  assert.equal(parseDuration("10 ms", "delay"), 10);
});

test("parseDuration() returns numbers as milliseconds, rounded", () => {
  assert.equal(parseDuration(0, "delay"), 0);
  assert.equal(parseDuration(250, "delay"), 250);
  assert.equal(parseDuration(0.4, "delay"), 0);
  assert.equal(parseDuration(1.6, "delay"), 2);
});

test("parseDuration() reads numeric strings as milliseconds", () => {
  assert.equal(parseDuration("1500", "delay"), 1500);
  assert.equal(parseDuration(" 10 ", "delay"), 10);
  assert.equal(parseDuration("2.5", "delay"), 3);
});

test("parseDuration() throws TypeError with the value when the string is unreadable", () => {
  assert.throws(() => parseDuration("soon", "delay"), new TypeError(`${UNREADABLE}"soon"`));
  assert.throws(() => parseDuration("1e3", "delay"), new TypeError(`${UNREADABLE}"1e3"`));
  assert.throws(() => parseDuration("", "delay"), new TypeError(`${UNREADABLE}""`));
  assert.throws(() => parseDuration("   ", "delay"), new TypeError(`${UNREADABLE}"   "`));
});

test("parseDuration() throws TypeError with the value when it is neither number nor string", () => {
  assert.throws(() => parseDuration(undefined, "delay"), new TypeError(`${UNREADABLE}undefined`));
  assert.throws(() => parseDuration(null, "delay"), new TypeError(`${UNREADABLE}null`));
  assert.throws(() => parseDuration(true, "delay"), new TypeError(`${UNREADABLE}true`));
});

test("parseDuration() names what the duration is for in the message", () => {
  assert.throws(
    () => parseDuration("later", "retry delay"),
    new TypeError(
      'Cannot read retry delay as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is "later"',
    ),
  );
});

test("parseDuration() throws RangeError with the value when it is negative", () => {
  assert.throws(() => parseDuration(-1, "delay"), new RangeError(`${NEGATIVE}-1`));
  assert.throws(() => parseDuration("-1s", "delay"), new RangeError(`${NEGATIVE}"-1s"`));
  assert.throws(() => parseDuration("-5", "delay"), new RangeError(`${NEGATIVE}"-5"`));
});

test("parseDuration() throws RangeError when the number is not finite", () => {
  assert.throws(() => parseDuration(Infinity, "delay"), new RangeError(`${NEGATIVE}Infinity`));
  assert.throws(() => parseDuration(NaN, "delay"), new RangeError(`${NEGATIVE}NaN`));
});
