/**
 * Durations as the seed wrote them: milliseconds, or strings such as `10ms 30s 45m 2h 6d 1d`
 * (anything the `ms` package reads). @module
 */

import ms from "ms";

/** A duration: milliseconds, or a string like `"30s"`. */
export type Duration = number | string;

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Milliseconds of a duration.
 *
 * @param value the duration
 * @param what what the duration is for, for the error message (e.g. "delay")
 * @returns the duration in ms, a finite number >= 0
 * @throws {TypeError} when the value is neither a number nor a readable string
 * @throws {RangeError} when it is negative or not finite
 *
 * @example Reading the seed's formats
 * ```ts
 * import { parseDuration } from "./duration.ts";
 * if (parseDuration("1d", "delay") !== 86_400_000) throw new Error("1d is a day");
 * ```
 */
export function parseDuration(value: unknown, what: string): number {
  let millis: number | undefined;
  if (typeof value === "number") millis = value;
  else if (typeof value === "string" && value.trim() !== "") {
    millis = /^\s*-?\d+(\.\d+)?\s*$/.test(value)
      ? Number(value)
      : ms(value as never) as unknown as number;
  }
  // NaN given as a number is a number out of range (RangeError below), as documented; NaN from
  // a string means the string could not be read.
  if (typeof millis !== "number" || (Number.isNaN(millis) && typeof value !== "number")) {
    throw new TypeError(
      `Cannot read ${what} as it must be milliseconds or a string like "10ms", "30s", "45m", "2h", "6d": current value is ${
        show(value)
      }`,
    );
  }
  if (millis < 0 || !Number.isFinite(millis)) {
    throw new RangeError(
      `Cannot use ${what} as it must be a finite duration >= 0: current value is ${show(value)}`,
    );
  }
  return Math.round(millis);
}
